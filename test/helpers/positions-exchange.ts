/**
 * A stand-in exchange that pushes an account's futures positions the way
 * coincall-protocol.md says the exchange does: after the subscribe's ack,
 * every position held, once per push period (about once a second), one frame
 * per position (`d` an object), or, in the simulator's form, one frame listing
 * them all; nothing at all for an account that holds none. The first push
 * comes well after the ack (the push period runs on its own clock), so a
 * query answered at the ack or at the first frame would miss positions.
 * Built on the scripted fake exchange; its timers are disposed by `disposeAll()`.
 */
import { POSITIONS_PUSH_PERIOD_MS } from '../../src/hub/snapshot-memory.ts';
import { startFakeExchange, type FakeExchange } from './fake-exchange.ts';
import { onDispose } from './gateway.ts';

/** Futures positions (dt 36). */
const POSITION_DT = 36;
/** The fake's key of the payload-less `position` topic. */
const POSITION_TOPIC = 'position null';
/** When the first push follows the ack by default: well inside the push period, long after the ack. */
export const FIRST_PUSH_AFTER_MS = 700;

/** A futures position in the live wire form. */
export const wirePosition = (s: string, q: string) => ({ s, q, si: 1, ap: '100', mp: '101', uid: '1111111111', le: '5' });

export interface PositionsExchangeOptions {
  /** The positions the account holds (wire items); `held` changes them later. */
  readonly positions: readonly object[];
  /** One frame per position (the exchange's documented form, default) or one frame listing them all (the simulator's). */
  readonly form?: 'each' | 'list';
  /** Delay of the first push after a subscribe. */
  readonly firstPushAfterMs?: number;
  /** Whether the positions subscribe is acknowledged (default true; false: no answer at all, no push). */
  readonly answer?: boolean;
}

export interface PositionsExchange {
  readonly exchange: FakeExchange;
  /** What the account holds from the next push on. */
  held(positions: readonly object[]): void;
}

/** Starts the stand-in. */
export async function startPositionsExchange(options: PositionsExchangeOptions): Promise<PositionsExchange> {
  let positions = options.positions;
  const timers = new Set<NodeJS.Timeout>();
  onDispose(() => timers.forEach((t) => (clearTimeout(t), clearInterval(t))));
  const answer = options.answer ?? true;
  const exchange = await startFakeExchange({
    reply: (request) => {
      if (request.dataType !== 'position' || request.action !== 'subscribe') return 'ack';
      if (!answer) return 'silence';
      const connection = () => exchange.connections[request.connection];
      const push = () => {
        const c = connection();
        if (c === undefined || c.socket.readyState !== c.socket.OPEN || !c.topics.has(POSITION_TOPIC)) return;
        const frames = options.form === 'list' ? (positions.length === 0 ? [] : [positions]) : positions;
        for (const d of frames) c.socket.send(JSON.stringify({ dt: POSITION_DT, c: 20, d, ts: Date.now() }));
      };
      const first = setTimeout(() => {
        push();
        timers.add(setInterval(push, POSITIONS_PUSH_PERIOD_MS));
      }, options.firstPushAfterMs ?? FIRST_PUSH_AFTER_MS);
      timers.add(first);
      return 'ack';
    },
  });
  onDispose(() => exchange.close());
  return {
    exchange,
    held: (next) => void (positions = next),
  };
}
