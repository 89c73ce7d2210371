/**
 * What a topic remembers for its Query twin, and how a query takes it.
 *
 * A channel declares its twin kind; its topic keeps, beside the listeners:
 * - `state`: the latest event (the topic keeps it anyway, for late subscribers);
 * - `recentTrades`: a bounded ring of the latest trades, newest first;
 * - `latestBySymbol`: the latest item per symbol (positions).
 *
 * A query joins the topic like a subscriber (one upstream subscription for
 * queries and subscriptions alike), takes what the topic holds, or waits for
 * the first value at most `timeoutMs` (then UPSTREAM_TIMEOUT), and leaves: the
 * topic then lingers as after any subscriber.
 */
import { MAX_RECENT_TRADES } from '../channels/args.ts';
import type { AnyChannel, TwinKind } from '../channels/channel.ts';
import { upstreamRejected, upstreamTimeout } from '../lib/errors.ts';
import { isRecord } from '../lib/json.ts';
import type { Listener } from './topic.ts';
import type { TopicHandle } from './topic-table.ts';

/** Trades a topic remembers for `optionTrades` / `futuresTrades` queries: the most a query may ask for. */
export const RECENT_TRADES_KEPT = MAX_RECENT_TRADES;
/** Symbols a positions topic remembers (one account's positions; far more than any account holds). */
export const MAX_SNAPSHOT_SYMBOLS = 10_000;

/** A topic's memory for its twin. */
export interface SnapshotMemory {
  readonly kind: TwinKind;
  /** Takes one event the topic published. */
  record(event: unknown): void;
  /** Whether a state memory holds a value (the others are ready once the topic is answered). */
  readonly filled: boolean;
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
  return {
    kind: 'latestBySymbol',
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

/** Joins a topic for one query (`join` opens or shares it) and resolves with its memory's value. */
export function takeSnapshot(
  channel: AnyChannel,
  join: (listener: Listener) => TopicHandle,
  timeoutMs: number,
): Promise<unknown> {
  return new Promise<unknown>((resolve, reject) => {
    let handle: TopicHandle | undefined;
    let done = false;
    let timer: NodeJS.Timeout | undefined;
    const finish = (settle: () => void) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      handle?.release();
      settle();
    };
    const answer = () => {
      const memory = handle?.snapshot;
      if (memory === undefined) return finish(() => reject(new Error(`${channel.id} has no query twin`)));
      if (memory.kind === 'state' && !memory.filled) return;
      finish(() => resolve(memory.value()));
    };
    handle = join({
      deliver: () => answer(),
      fail: (error) => finish(() => reject(error)),
      end: () => finish(() => reject(upstreamRejected('The gateway is shutting down.'))),
    });
    if (done) return;
    timer = setTimeout(
      () => finish(() => reject(upstreamTimeout(`${channel.id}: Coincall sent no data within ${timeoutMs} ms; try again.`))),
      timeoutMs,
    );
    // State needs a value; trades and positions are what arrived so far once the exchange answered.
    if (handle.snapshot === undefined || handle.snapshot.filled) answer();
    else if (handle.snapshot.kind !== 'state') handle.confirmed.then(answer, (error: unknown) => finish(() => reject(error)));
  });
}
