/**
 * Helpers of the upstream tests over the stand-in exchange: BTCUSD trades in
 * the exchange's wire form, each with a price and time of its own, and the
 * next value of a subscription's sink within a deadline.
 */
import type { Sink } from '../../src/hub/sink.ts';

/**
 * Makes `wireTrades(n)`: `n` new BTCUSD wire trades, numbered on from the maker's own count, stamped
 * from `epoch` (default a fixed past time; `Date.now()` where a reader compares them with its clock),
 * oldest first, or newest first as the exchange lists a frame.
 */
export function wireTradeMaker({ epoch = 1_700_000_000_000, newestFirst = false } = {}): (
  n: number,
) => Array<{ s: string; pr: string; v: string; sd: number; ts: number }> {
  let tradeSeq = 0;
  return (n) => {
    const trades = Array.from({ length: n }, () => {
      tradeSeq++;
      return { s: 'BTCUSD', pr: String(60_000 + tradeSeq), v: '0.1', sd: 1, ts: epoch + tradeSeq };
    });
    return newestFirst ? trades.reverse() : trades;
  };
}

/** The next value of a sink, or a failure naming `what` after the timeout. */
export async function nextValue(sink: Sink<unknown>, what = 'a value', timeoutMs = 8_000): Promise<unknown> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no value in time: ${what}`)), timeoutMs);
  });
  try {
    const { value, done } = await Promise.race([sink.next(), timeout]);
    if (done === true) throw new Error('stream ended');
    return value;
  } finally {
    clearTimeout(timer);
  }
}
