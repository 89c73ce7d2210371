/**
 * What a topic remembers for its Query twin. A channel declares its twin
 * kind; its topic keeps, beside the listeners:
 * - `state`: the latest event (the topic keeps it anyway, for late subscribers);
 * - `recentTrades`: a bounded ring of the latest trades, newest first;
 * - `latestBySymbol`: the latest item per symbol (positions).
 * `snapshot.ts` is how a query takes it.
 *
 * Positions: the exchange pushes every position the account holds about once
 * a second, one frame per position (coincall-protocol.md; the simulator sends
 * them as one list), and says nothing at all for an account with none. No
 * frame says "this is the whole set", so the set is complete one full push
 * period after the exchange answered the subscribe (`completeAt`): every
 * position held has been pushed by then, and none pushed means none held. An
 * interruption (a drop, a resubscribe) forgets the set (a position closed
 * meanwhile is never pushed again) until the exchange answers again.
 */
import { MAX_RECENT_TRADES } from '../channels/args.ts';
import type { AnyChannel, TwinKind } from '../channels/channel.ts';
import { isRecord } from '../lib/json.ts';

/** Trades a topic remembers for `optionTrades` / `futuresTrades` queries: the most a query may ask for. */
export const RECENT_TRADES_KEPT = MAX_RECENT_TRADES;
/** Symbols a positions topic remembers (one account's positions; far more than any account holds). */
export const MAX_SNAPSHOT_SYMBOLS = 10_000;
/** How often the exchange pushes every position the account holds ("about once a second"). */
export const POSITIONS_PUSH_PERIOD_MS = 1_000;
/** After the exchange answered a positions subscribe, how long until every position held was pushed: a push period, and half again for its "about". */
export const POSITIONS_FULL_SET_MS = POSITIONS_PUSH_PERIOD_MS * 1.5;

/** A topic's memory for its twin. */
export interface SnapshotMemory {
  readonly kind: TwinKind;
  /** Takes one event the topic published. */
  record(event: unknown): void;
  /** Whether a state memory holds a value (recent trades are ready once the topic is answered). */
  readonly filled: boolean;
  /**
   * Positions: when the memory holds the complete set (the source's clock);
   * undefined until the exchange answered, and again from an interruption to
   * the next answer. Undefined for the other kinds.
   */
  readonly completeAt?: number | undefined;
  /** The exchange answered the topic's subscribe (an ack, or data) at `at`. */
  answered?(at: number): void;
  /** The topic's stream was cut (a drop, a resubscribe): what it remembers may be stale. */
  interrupted?(): void;
  /** The state event, the recent trades (newest first) or the latest item per symbol. */
  value(): unknown;
}

const symbolOf = (item: unknown): string | undefined => (isRecord(item) && typeof item['symbol'] === 'string' ? item['symbol'] : undefined);
const timeOf = (item: unknown): number => (isRecord(item) && typeof item['timestamp'] === 'number' ? item['timestamp'] : 0);

function stateMemory(): SnapshotMemory {
  let last: unknown;
  return {
    kind: 'state',
    record: (event) => void (last = event),
    get filled() {
      return last !== undefined;
    },
    value: () => last,
  };
}

function recentTradesMemory(): SnapshotMemory {
  let ring: unknown[] = [];
  return {
    kind: 'recentTrades',
    record(event) {
      if (!Array.isArray(event)) return;
      // Newest first: a frame's trades by time, latest first, ahead of what came before.
      const fresh = [...event].sort((a, b) => timeOf(b) - timeOf(a));
      ring = [...fresh, ...ring].slice(0, RECENT_TRADES_KEPT);
    },
    get filled() {
      return ring.length > 0;
    },
    value: () => ring.slice(),
  };
}

function latestBySymbolMemory(): SnapshotMemory {
  const bySymbol = new Map<string, unknown>();
  let completeAt: number | undefined;
  return {
    kind: 'latestBySymbol',
    get completeAt() {
      return completeAt;
    },
    answered(at) {
      completeAt ??= at + POSITIONS_FULL_SET_MS;
    },
    interrupted() {
      completeAt = undefined;
      bySymbol.clear();
    },
    record(event) {
      const symbol = symbolOf(event);
      if (symbol === undefined) return;
      bySymbol.delete(symbol);
      bySymbol.set(symbol, event);
      if (bySymbol.size > MAX_SNAPSHOT_SYMBOLS) bySymbol.delete(bySymbol.keys().next().value ?? '');
    },
    get filled() {
      return bySymbol.size > 0;
    },
    value: () => [...bySymbol.values()],
  };
}

/** The memory a topic of `channel` keeps for its twin; none when the channel has no twin. */
export function snapshotMemoryOf(channel: AnyChannel): SnapshotMemory | undefined {
  switch (channel.twin) {
    case 'state':
      return stateMemory();
    case 'recentTrades':
      return recentTradesMemory();
    case 'latestBySymbol':
      return latestBySymbolMemory();
    case undefined:
      return undefined;
  }
}
