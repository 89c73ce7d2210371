/**
 * A scriptable stand-in for the exchange's WebSocket endpoint, for upstream
 * tests that need what the simulator does not offer: every upgrade attempt
 * counted (refused ones included), every request recorded in order, replies
 * chosen per request, and sockets closed the way a server closes them.
 *
 * It speaks just enough of the protocol: heartbeats are answered, subscribes
 * and unsubscribes acknowledged, unless `reply` says otherwise. It listens on
 * 127.0.0.1, port 0, and `close()` disposes every socket.
 *
 * Faults for continuity tests: `dropAll` kills every socket; `silence` stops
 * answering anything (heartbeats, requests) and publishing; `muteTopic` stops
 * one topic's data while heartbeats are still answered; with
 * `replayOnSubscribe`, a subscribe is answered by re-sending that topic's last
 * N published frames' items (as the exchange re-sends its last trades).
 * Upstream holes (issue 22): `swallowSubscribes` loses the next subscribes,
 * `swallowUnsubscribes` the next unsubscribes (the topic stays subscribed),
 * `silenceUntilLost` ends a silence right after it lost a reconnect's
 * resubscribes, `killTopic` stops a topic until it is subscribed again.
 * `publish` sends a data frame to every connection subscribed to the topic.
 */
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { readConnectQuery, SIGNATURE_MAX_SKEW_MS } from '../../src/coincall/signing.ts';
import { createUpstream, type Upstream, type UpstreamOptions } from '../../src/sources/coincall/coincall-source.ts';
import { captureLogs, onDispose, waitFor, type CapturedLog } from './gateway.ts';

export interface FakeRequest {
  /** Index of the connection (in upgrade order) that sent it. */
  readonly connection: number;
  readonly action: string;
  readonly dataType: string | undefined;
  readonly payload: unknown;
}

/** What to answer a request with: `ack` (the default), a raw text, or nothing. */
export type FakeReply = 'ack' | 'silence' | { readonly text: string };

export interface FakeExchangeOptions {
  /** Answers the upgrade with 403 when true (default: accept every upgrade). */
  readonly refuse?: (url: string) => boolean;
  /** Chooses the answer to a subscribe or unsubscribe (default: a success ack). */
  readonly reply?: (request: FakeRequest) => FakeReply;
  /** Answer heartbeats (default true). */
  readonly answerHeartbeats?: boolean;
  /** Close (1000, "idle timeout") a connection that has held no subscription for this long. */
  readonly idleCloseMs?: number;
  /**
   * When that idle clock starts: at the connection's open (default), or at its first heartbeat answered,
   * so a connection is never closed before the gateway could see it work (however slow the machine).
   */
  readonly idleClockFrom?: 'open' | 'answer';
  /** After acknowledging a subscribe, re-send the topic's last N published items in one frame. */
  readonly replayOnSubscribe?: number;
  /** The exchange's clock, which judges a held handshake's signature age (see `freeze`; default Date.now). */
  readonly now?: () => number;
}

export interface FakeConnection {
  readonly index: number;
  readonly url: string;
  readonly socket: WebSocket;
  /** Live subscriptions, by `dataType` and payload. */
  readonly topics: Set<string>;
}

export interface FakeExchange {
  /** `ws://127.0.0.1:PORT/options` and `/futures`. */
  readonly urls: { readonly options: string; readonly futures: string };
  /** The path and query of every upgrade request, refused ones included, in order. */
  readonly upgrades: string[];
  /** Every subscribe/unsubscribe request, in order (heartbeats are counted apart). */
  readonly requests: FakeRequest[];
  readonly connections: FakeConnection[];
  heartbeats: number;
  /** Connections the server closed because they were idle. */
  idleCloses: number;
  /** Open sockets right now. */
  openCount(): number;
  /** Terminates every open socket (no close frame). */
  dropAll(): void;
  /** From now on leaves idle connections open (the `idleCloseMs` rule stops, armed timers included). */
  stopIdleCloses(): void;
  /**
   * Sends `{dt, c: 20, d: items}` on every open connection subscribed to
   * (`dataType`, `payload`), unless silenced or muted; returns how many got it.
   * The items are remembered for `replayOnSubscribe`.
   */
  publish(dt: number, dataType: string, payload: unknown, items: readonly object[]): number;
  /** Stops (true) or resumes answering heartbeats and requests and publishing, on every connection. */
  silence(silent: boolean): void;
  /** Stops (true) or resumes publishing one topic's data; heartbeats are still answered. */
  muteTopic(dataType: string, payload: unknown, muted: boolean): void;
  /**
   * Upstream-holes faults: the next `n` subscribes (on any connection) are
   * recorded but never answered nor subscribed, as an exchange that loses them.
   */
  swallowSubscribes(n: number): void;
  /** The next `n` unsubscribes are recorded but never answered nor carried out (the topic stays subscribed). */
  swallowUnsubscribes(n: number): void;
  /**
   * Goes silent (as `silence(true)`) and comes back the moment `n` subscribes
   * were lost to the silence: the exchange returns just after a reconnected
   * socket wrote its resubscribes, which are never answered.
   */
  silenceUntilLost(n: number): void;
  /**
   * The topic dies for the subscriptions it has now: its data stops (still
   * recorded for replays) while heartbeats are answered, until a new subscribe
   * of it, which gets the usual replay (`replayOnSubscribe`) and revives it.
   */
  killTopic(dataType: string, payload: unknown): void;
  /** Subscribes swallowed so far (by `swallowSubscribes`, or lost to a silence). */
  swallowed: number;
  /** Unsubscribes swallowed so far (by `swallowUnsubscribes`). */
  swallowedUnsubscribes: number;
  /**
   * A stopped exchange process (true) and its return (false): while frozen it
   * answers nothing and leaves handshakes waiting; on return it reads them as
   * the exchange does, a signature older than SIGNATURE_MAX_SKEW_MS by its
   * clock refused with 403.
   */
  freeze(frozen: boolean): void;
  /** Handshakes waiting on the frozen exchange. */
  waiting(): number;
  close(): Promise<void>;
}

const IDLE_CLOSE_CODE = 1000;
const IDLE_CLOSE_REASON = 'idle timeout';

const topicOf = (dataType: string | undefined, payload: unknown) => `${dataType ?? ''} ${JSON.stringify(payload ?? null)}`;

export async function startFakeExchange(options: FakeExchangeOptions = {}): Promise<FakeExchange> {
  const wss = new WebSocketServer({ noServer: true });
  const http = createServer((_req, res) => res.writeHead(426).end());
  const upgrades: string[] = [];
  const requests: FakeRequest[] = [];
  const connections: FakeConnection[] = [];
  const idleTimers = new Set<NodeJS.Timeout>();
  let idleClosing = options.idleCloseMs !== undefined;
  let silent = false;
  let frozen = false;
  /** Handshakes that arrived while frozen, read on return. */
  const held: Array<{ readonly socket: Duplex; readonly read: () => void }> = [];
  const muted = new Set<string>();
  let toSwallow = 0;
  let unsubscribesToSwallow = 0;
  /** Topics killed by `killTopic`, until their next subscribe. */
  const dead = new Set<string>();
  /** With `silenceUntilLost`: subscribes still to lose before the silence ends. */
  let silentFor: number | undefined;
  /** Items published per topic, latest last (bounded by `replayOnSubscribe`). */
  const history = new Map<string, { dt: number; items: object[] }>();

  const exchange: FakeExchange = {
    urls: { options: '', futures: '' },
    upgrades,
    requests,
    connections,
    heartbeats: 0,
    idleCloses: 0,
    openCount: () => connections.filter((c) => c.socket.readyState === c.socket.OPEN).length,
    dropAll: () => {
      for (const c of connections) c.socket.terminate();
    },
    publish(dt, dataType, payload, items) {
      const key = topicOf(dataType, payload);
      const keep = options.replayOnSubscribe ?? 0;
      const past = history.get(key) ?? { dt, items: [] };
      past.items.push(...items);
      past.items.splice(0, Math.max(0, past.items.length - keep));
      history.set(key, past);
      if (silent || muted.has(key) || dead.has(key)) return 0;
      const text = JSON.stringify({ dt, c: 20, d: items });
      let sent = 0;
      for (const c of connections)
        if (c.socket.readyState === c.socket.OPEN && c.topics.has(key)) {
          c.socket.send(text);
          sent++;
        }
      return sent;
    },
    silence(on) {
      silent = on;
    },
    muteTopic(dataType, payload, on) {
      if (on) muted.add(topicOf(dataType, payload));
      else muted.delete(topicOf(dataType, payload));
    },
    swallowSubscribes(n) {
      toSwallow = n;
    },
    swallowUnsubscribes(n) {
      unsubscribesToSwallow = n;
    },
    silenceUntilLost(n) {
      silent = true;
      silentFor = n;
    },
    killTopic(dataType, payload) {
      dead.add(topicOf(dataType, payload));
    },
    swallowed: 0,
    swallowedUnsubscribes: 0,
    waiting: () => held.length,
    freeze(on) {
      frozen = on;
      if (on) return;
      for (const handshake of held.splice(0)) if (!handshake.socket.destroyed) handshake.read();
    },
    stopIdleCloses: () => {
      idleClosing = false;
      for (const timer of idleTimers) clearTimeout(timer);
      idleTimers.clear();
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const timer of idleTimers) clearTimeout(timer);
        frozen = false;
        for (const handshake of held.splice(0)) handshake.socket.destroy();
        for (const c of connections) c.socket.terminate();
        wss.close();
        http.close(() => resolve());
        http.closeAllConnections();
      }),
  };

  const answeredOnce = new WeakSet<FakeConnection>();
  const watchIdle = (connection: FakeConnection) => {
    if (!idleClosing || options.idleCloseMs === undefined) return;
    const timer = setTimeout(() => {
      idleTimers.delete(timer);
      if (connection.topics.size > 0) return watchIdle(connection);
      if (connection.socket.readyState !== connection.socket.OPEN) return;
      exchange.idleCloses++;
      connection.socket.close(IDLE_CLOSE_CODE, IDLE_CLOSE_REASON);
    }, options.idleCloseMs);
    idleTimers.add(timer);
  };

  /** Whether to lose this request (see `swallowSubscribes`, `swallowUnsubscribes`). */
  const swallow = (request: FakeRequest): boolean => {
    if (/^unsubscribe$/i.test(request.action) && unsubscribesToSwallow > 0) {
      unsubscribesToSwallow--;
      exchange.swallowedUnsubscribes++;
      return true;
    }
    if (request.action !== 'subscribe' || toSwallow <= 0) return false;
    toSwallow--;
    exchange.swallowed++;
    return true;
  };

  /** Counts a subscribe the silence lost; ends a `silenceUntilLost` silence after its count. */
  const lostToSilence = (message: object) => {
    if ((message as Record<string, unknown>)['action'] !== 'subscribe') return;
    exchange.swallowed++;
    if (silentFor === undefined || --silentFor > 0) return;
    silentFor = undefined;
    silent = false;
  };

  const onMessage = (connection: FakeConnection, text: string) => {
    let message: unknown;
    try {
      message = JSON.parse(text);
    } catch {
      return;
    }
    if (typeof message !== 'object' || message === null) return;
    if (silent) return lostToSilence(message);
    if (frozen) return;
    const record = message as Record<string, unknown>;
    const action = typeof record['action'] === 'string' ? record['action'] : '';
    if (action === 'heartbeat') {
      exchange.heartbeats++;
      if (options.answerHeartbeats === false) return;
      connection.socket.send(JSON.stringify({ c: 11, rc: 1 }));
      if (options.idleClockFrom === 'answer' && !answeredOnce.has(connection)) {
        answeredOnce.add(connection);
        watchIdle(connection);
      }
      return;
    }
    const dataType = typeof record['dataType'] === 'string' ? record['dataType'] : undefined;
    const request: FakeRequest = { connection: connection.index, action, dataType, payload: record['payload'] };
    requests.push(request);
    if (swallow(request)) return;
    const reply = options.reply?.(request) ?? 'ack';
    if (reply === 'silence') return;
    if (reply !== 'ack') return connection.socket.send(reply.text);
    // The batch form (`symbol: [...]`) stands for one topic per symbol, as on the exchange.
    const payload = request.payload;
    const symbols =
      typeof payload === 'object' && payload !== null && Array.isArray((payload as Record<string, unknown>)['symbol'])
        ? ((payload as Record<string, unknown>)['symbol'] as unknown[])
        : undefined;
    const keys =
      symbols === undefined
        ? [topicOf(dataType, payload)]
        : symbols.map((symbol) => topicOf(dataType, { ...(payload as Record<string, unknown>), symbol }));
    for (const key of keys) {
      if (action === 'subscribe') dead.delete(key);
      if (action === 'subscribe') connection.topics.add(key);
      else connection.topics.delete(key);
    }
    const ack = { action: action.toUpperCase(), dataType, ...(payload === undefined ? {} : { payload }), result: 'success' };
    connection.socket.send(JSON.stringify(ack));
    for (const key of keys) {
      const replay = history.get(key);
      if (action === 'subscribe' && replay !== undefined && replay.items.length > 0 && !muted.has(key))
        connection.socket.send(JSON.stringify({ dt: replay.dt, c: 20, d: replay.items }));
    }
  };

  http.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    if (frozen) return void held.push({ socket, read: () => upgrade(req, socket, head, true) });
    upgrade(req, socket, head, false);
  });

  /** A signature the exchange would call stale at this moment (only judged for held handshakes). */
  const stale = (url: string) => {
    const ts = Number(readConnectQuery(url.slice(url.indexOf('?') + 1)).get('ts'));
    return !(Math.abs((options.now ?? Date.now)() - ts) <= SIGNATURE_MAX_SKEW_MS);
  };

  const upgrade = (req: IncomingMessage, socket: Duplex, head: Buffer, wasHeld: boolean) => {
    const url = req.url ?? '';
    upgrades.push(url);
    if (options.refuse?.(url) === true || (wasHeld && stale(url))) {
      socket.on('error', () => socket.destroy());
      socket.end('HTTP/1.1 403 Forbidden\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      const connection: FakeConnection = { index: connections.length, url, socket: ws, topics: new Set() };
      connections.push(connection);
      ws.on('error', () => ws.terminate());
      ws.on('message', (data) => onMessage(connection, String(data)));
      if (options.idleClockFrom !== 'answer') watchIdle(connection);
    });
  };

  const port = await new Promise<number>((resolve) => http.listen(0, '127.0.0.1', () => resolve((http.address() as AddressInfo).port)));
  Object.assign(exchange, { urls: { options: `ws://127.0.0.1:${port}/options`, futures: `ws://127.0.0.1:${port}/futures` } });
  return exchange;
}

/** The server's own key in upstream tests over the fake exchange (which accepts it). */
export const SERVER_KEY = { apiKey: 'server+KEY/0000==', apiSecret: 'server-secret' };

export interface UpstreamOnFakeExchange {
  readonly exchange: FakeExchange;
  readonly upstream: Upstream;
  readonly logs: CapturedLog;
}

/**
 * The gateway's upstream layer over a fresh fake exchange, with short test
 * timings (overridable), disposed by `disposeAll()`. By default it returns
 * once both public connections are open.
 */
export async function startUpstreamOnFakeExchange(
  exchangeOptions: FakeExchangeOptions = {},
  overrides: Partial<UpstreamOptions> = {},
  { waitReady = true }: { readonly waitReady?: boolean } = {},
): Promise<UpstreamOnFakeExchange> {
  const exchange = await startFakeExchange(exchangeOptions);
  const logs = captureLogs();
  const upstream = createUpstream({
    urls: exchange.urls,
    serverCredential: SERVER_KEY,
    logger: logs.logger,
    lingerMs: 20,
    connectionLingerMs: 20,
    backoff: () => 10,
    ...overrides,
  });
  onDispose(async () => {
    // Not awaited: a drain of unsubscribes would wait for a peer that is about to go.
    void upstream.close();
    await exchange.close();
  });
  if (waitReady) await waitFor(() => upstream.ready(), 'both public connections open');
  return { exchange, upstream, logs };
}
