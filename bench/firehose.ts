/**
 * Bench-only upstream: a Coincall-protocol WebSocket server that publishes
 * 20-level futures order books (dt 32) at a fixed rate per subscribed symbol,
 * with `ts` = the send time (Date.now()). It answers heartbeats and acks
 * subscriptions like the exchange. The signed connect URL is accepted as is
 * (its shape is checked, not its signature: the gateway's signing is tested
 * elsewhere and the bench measures fan-out).
 *
 * One frame text is built per symbol per tick and written to every upstream
 * socket subscribed to that symbol (normally exactly one: the server under test).
 *
 * With `kind: 'trades'` it publishes futures trades (dt 33, one trade per
 * frame) instead: the event-channel firehose of issue 9, at rates up to
 * thousands of frames per second (sent in batches per timer tick, since a
 * timer fires at most about once per millisecond). With `kinds: ['books',
 * 'trades']` it serves both, each at the rate, to whoever subscribed to
 * which (the cluster section counts the upstream subscriptions of each).
 */
import { WebSocketServer, type WebSocket } from 'ws';
import type { AddressInfo } from 'node:net';

export const BOOK_LEVELS = 20;
/** Above this rate frames go out in batches per timer tick. */
const MAX_TIMER_RATE = 500;
/** Timer period (ms) of the batched mode. */
const BATCH_TICK_MS = 5;

export type FirehoseKind = 'books' | 'trades';

export interface Firehose {
  readonly url: string;
  /** Frames per second per subscribed symbol; 0 pauses publishing. */
  setRate(framesPerSecond: number): void;
  /** Frames sent so far, per symbol (counts one per symbol per tick, whatever the socket count), of `kind` (default: the first kind served). */
  framesSent(kind?: FirehoseKind): ReadonlyMap<string, number>;
  /** Sockets subscribed per symbol (to `kind`, default the first kind served): the upstream subscriptions of that topic. */
  subscribers(symbol: string, kind?: FirehoseKind): number;
  /** Connections accepted so far (the gateway opens one per market; more means it reconnected). */
  connectionsAccepted(): number;
  close(): Promise<void>;
}

/** A deterministic, cheap 20-level book around a moving mid. */
function bookText(symbol: string, seq: number, base: number, ts: number): string {
  const mid = base + ((seq * 7) % 200) * 0.5;
  let asks = '';
  let bids = '';
  for (let i = 0; i < BOOK_LEVELS; i++) {
    const v = (((seq + i * 13) % 997) / 1000 + 0.001).toFixed(3);
    const sep = i === 0 ? '' : ',';
    asks += `${sep}{"pr":"${(mid + 0.5 + i * 0.5).toFixed(1)}","v":${v}}`;
    bids += `${sep}{"pr":"${(mid - 0.5 - i * 0.5).toFixed(1)}","v":${v}}`;
  }
  return `{"dt":32,"c":20,"d":{"s":"${symbol}","asks":[${asks}],"bids":[${bids}],"ts":${ts}},"ts":${ts}}`;
}

/** One trade of `symbol` (no side: optional upstream), `ts` = send time. */
function tradeText(symbol: string, seq: number, base: number, ts: number): string {
  const d = `[{"s":"${symbol}","pr":"${(base + (seq % 200) * 0.5).toFixed(1)}","v":"${((seq % 97) / 100 + 0.01).toFixed(2)}","ts":${ts}}]`;
  return `{"dt":33,"c":20,"d":${d},"ts":${ts}}`;
}

const DATA_TYPES: Readonly<Record<FirehoseKind, string>> = { books: 'orderBook', trades: 'lastTrade' };
const FRAME_TEXTS: Readonly<Record<FirehoseKind, typeof bookText>> = { books: bookText, trades: tradeText };

export async function startFirehose(options: {
  rate: number;
  host?: string;
  kind?: FirehoseKind;
  /** Several kinds at once (`kind` is then ignored); the first is the default of `framesSent` and `subscribers`. */
  kinds?: readonly FirehoseKind[];
}): Promise<Firehose> {
  const kinds = options.kinds ?? [options.kind ?? 'books'];
  const first = kinds[0] ?? 'books';
  const kindOf = (dataType: string | undefined) => kinds.find((k) => DATA_TYPES[k] === dataType);
  const served = kinds.map((k) => DATA_TYPES[k]).join(' and ');
  const host = options.host ?? '127.0.0.1';
  const wss = new WebSocketServer({ host, port: 0, perMessageDeflate: false });
  await new Promise<void>((resolve) => wss.once('listening', () => resolve()));
  const port = (wss.address() as AddressInfo).port;

  /** Per kind: the sockets subscribed to each symbol, and the frames sent of each. */
  const streams = new Map(kinds.map((k) => [k, new Map<string, Set<WebSocket>>()]));
  const sentByKind = new Map(kinds.map((k) => [k, new Map<string, number>()]));
  const bases = new Map<string, number>();
  let seq = 0;
  let accepted = 0;
  let timer: NodeJS.Timeout | undefined;

  wss.on('connection', (socket, req) => {
    const query = (req.url ?? '').split('?')[1] ?? '';
    if (!/(^|&)code=10(&|$)/.test(query) || !/(^|&)sign=[0-9A-F]{64}(&|$)/.test(query)) {
      socket.close(1008, 'unsigned');
      return;
    }
    accepted++;
    socket.on('error', () => undefined);
    socket.on('message', (data) => {
      let request: { action?: string; dataType?: string; payload?: { symbol?: string } };
      try {
        request = JSON.parse(String(data)) as typeof request;
      } catch {
        return;
      }
      if (request.action === 'heartbeat') {
        socket.send('{"c":11,"rc":1}');
        return;
      }
      const symbol = request.payload?.symbol;
      const action = request.action;
      if ((action !== 'subscribe' && action !== 'unSubscribe') || typeof symbol !== 'string') return;
      const actionEcho = action === 'subscribe' ? 'SUBSCRIBE' : 'UNSUBSCRIBE';
      const kind = kindOf(request.dataType);
      const bySymbol = kind === undefined ? undefined : streams.get(kind);
      if (bySymbol === undefined) {
        socket.send(
          JSON.stringify({
            action: actionEcho,
            dataType: request.dataType,
            payload: request.payload,
            result: 'fail',
            message: `bench firehose: ${served} only`,
          }),
        );
        return;
      }
      const dataType = request.dataType;
      let set = bySymbol.get(symbol);
      if (action === 'subscribe') {
        if (set === undefined) bySymbol.set(symbol, (set = new Set()));
        set.add(socket);
        if (!bases.has(symbol)) bases.set(symbol, 20_000 + bases.size * 1_000);
      } else set?.delete(socket);
      socket.send(JSON.stringify({ action: actionEcho, dataType, payload: { symbol }, result: 'success' }));
    });
    socket.on('close', () => {
      for (const bySymbol of streams.values()) for (const set of bySymbol.values()) set.delete(socket);
    });
  });

  const tick = () => {
    seq++;
    for (const [kind, bySymbol] of streams) {
      const sent = sentByKind.get(kind);
      for (const [symbol, sockets] of bySymbol) {
        if (sockets.size === 0) continue;
        const text = FRAME_TEXTS[kind](symbol, seq, bases.get(symbol) ?? 20_000, Date.now());
        for (const s of sockets) if (s.readyState === s.OPEN) s.send(text);
        sent?.set(symbol, (sent.get(symbol) ?? 0) + 1);
      }
    }
  };

  const setRate = (rate: number) => {
    clearInterval(timer);
    if (rate <= 0) timer = undefined;
    else if (rate <= MAX_TIMER_RATE) timer = setInterval(tick, 1000 / rate);
    else {
      // Batched: as many frames as the elapsed time owes at `rate`.
      const startedAt = Date.now();
      let ticks = 0;
      timer = setInterval(() => {
        const due = Math.floor(((Date.now() - startedAt) * rate) / 1000);
        for (; ticks < due; ticks++) tick();
      }, BATCH_TICK_MS);
    }
  };
  setRate(options.rate);

  return {
    url: `ws://${host}:${port}`,
    setRate,
    framesSent: (kind = first) => new Map(sentByKind.get(kind)),
    subscribers: (symbol, kind = first) => streams.get(kind)?.get(symbol)?.size ?? 0,
    connectionsAccepted: () => accepted,
    close: async () => {
      clearInterval(timer);
      for (const c of wss.clients) c.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}
