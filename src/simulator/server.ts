/**
 * The Coincall-compatible WebSocket server: the gateway's default upstream and
 * its test double. Serves `/options` and `/futures`, upgrades only signed
 * connections (403 otherwise), runs the seeded market on a timer, publishes
 * every subscribed topic, and exposes fault switches and request logs for tests.
 * Plain HTTP on the same port serves the exchange's public instrument REST
 * endpoints (`rest-endpoints.ts`) from the simulator's listing (`simulated-listing.ts`); a
 * subscribe for an instrument it does not list is refused, as the exchange does.
 */
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { MAX_REQUESTS_PER_SECOND, type MarketName } from '../coincall/protocol.ts';
import { verifyConnectQuery } from '../coincall/signing.ts';
import { AccountState, type MarketEvents } from './accounts.ts';
import { Connection, type ConnectionHost, type RequestLogEntry } from './client-session.ts';
import { DEFAULT_MALFORMED_COUNT, FaultState, malformedFrames } from './faults.ts';
import { SimulatorListing } from './simulated-listing.ts';
import { Market } from './market.ts';
import { DEFAULT_WIRE_FORM, Publisher, type TickContext } from './publish.ts';
import type { Topic } from './requests.ts';
import { serveRest } from './rest-endpoints.ts';
import {
  ACCOUNT_PUSH_INTERVAL_MS,
  DEFAULT_HOST,
  DEFAULT_IDLE_TIMEOUT_MS,
  DEFAULT_SEED,
  DEFAULT_TICK_MS,
  DEMO_ACCOUNT,
  type ActiveSubscription,
  type Simulator,
  type SimulatorAccount,
  type SimulatorOptions,
  type SimulatorRequestLog,
} from './simulator-api.ts';

/** Order ids start here (beyond 2^53, as the exchange's do) and grow by this step. */
const FIRST_ORDER_ID = 1_663_004_711_982_333_952n;
const ORDER_ID_STEP = 4_097n;

function rejectUpgrade(socket: Duplex, status: 403 | 404, reason: string): void {
  const text = status === 403 ? 'Forbidden' : 'Not Found';
  socket.on('error', () => socket.destroy());
  socket.once('finish', () => socket.destroy());
  socket.end(
    `HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(reason)}\r\n\r\n${reason}`,
  );
}

function marketOfPath(path: string): MarketName | undefined {
  return path === '/options' ? 'options' : path === '/futures' ? 'futures' : undefined;
}

class SimulatorServer implements ConnectionHost {
  readonly faults = new FaultState();
  readonly maxRequestsPerSecond: number;
  readonly idleTimeoutMs: number;
  readonly strictIdle: boolean;
  readonly requests: SimulatorRequestLog[] = [];
  readonly connections = new Set<Connection>();
  readonly now: () => number;
  /** What it lists: the REST answers and the subscribe checks read it. */
  readonly listing: SimulatorListing;
  private readonly market: Market;
  private readonly accounts = new Map<string, { readonly account: SimulatorAccount; readonly state: AccountState }>();
  private readonly publisher: Publisher;
  private readonly wss = new WebSocketServer({ noServer: true });
  private readonly http = createServer((req, res) => serveRest(req, res, this.listing, this.now()));
  private readonly timer: NodeJS.Timeout;
  private lastAccountPush = Number.NEGATIVE_INFINITY;
  private orderCounter = 0n;

  constructor(options: SimulatorOptions) {
    this.now = options.now ?? Date.now;
    this.maxRequestsPerSecond = options.maxRequestsPerSecond ?? MAX_REQUESTS_PER_SECOND;
    this.idleTimeoutMs = options.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS;
    this.strictIdle = options.strictIdle ?? false;
    this.publisher = new Publisher(options.wireForm ?? DEFAULT_WIRE_FORM);
    const seed = options.seed ?? DEFAULT_SEED;
    const start = this.now();
    // The listing centres new expiries' strikes on the market's index; the market's chains use the listed strikes.
    this.listing = new SimulatorListing((underlying) => this.market.indexOf(underlying), options.extraOptions);
    this.market = new Market(seed, start, (underlying, expiry) => this.listing.strikesOf(underlying, expiry, this.now()));
    this.listing.roll(start);
    const nextOrderId = () => FIRST_ORDER_ID + ORDER_ID_STEP * this.orderCounter++;
    for (const account of options.accounts ?? [DEMO_ACCOUNT])
      this.accounts.set(account.apiKey, { account, state: new AccountState(account.userId, seed, this.market, nextOrderId, start) });
    this.http.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => this.upgrade(req, socket, head));
    this.timer = setInterval(() => this.tick(), options.tickMs ?? DEFAULT_TICK_MS);
  }

  listen(port: number, host: string): Promise<number> {
    return new Promise((resolve, reject) => {
      this.http.once('error', reject);
      this.http.listen(port, host, () => {
        this.http.off('error', reject);
        resolve((this.http.address() as AddressInfo).port);
      });
    });
  }

  log(entry: RequestLogEntry): void {
    this.requests.push(entry);
  }

  subscribed(connection: Connection, topic: Topic): void {
    topic.channel.simulate.subscribed?.(topic.params, this.accounts.get(connection.apiKey)?.state, this.now());
    if (this.faults.isPaused(topic.dataType)) return;
    for (const frame of this.publisher.frames(connection, topic, this.context(new Map(), false), true)) connection.send(frame);
  }

  closed(connection: Connection): void {
    this.connections.delete(connection);
  }

  activeSubscriptions(): ActiveSubscription[] {
    const out: ActiveSubscription[] = [];
    for (const c of this.connections)
      for (const topic of c.topics.values())
        out.push({ market: c.market, apiKey: c.apiKey, dataType: topic.dataType, payload: topic.payload });
    return out;
  }

  each(market: MarketName | undefined, apiKey: string | undefined, action: (connection: Connection) => void): void {
    for (const c of [...this.connections])
      if ((market === undefined || c.market === market) && (apiKey === undefined || c.apiKey === apiKey)) action(c);
  }

  close(): Promise<void> {
    clearInterval(this.timer);
    this.each(undefined, undefined, (c) => c.terminate());
    this.wss.close();
    return new Promise((resolve) => {
      this.http.close(() => resolve());
      this.http.closeAllConnections();
    });
  }

  private upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const url = req.url ?? '';
    const q = url.indexOf('?');
    const market = marketOfPath(q < 0 ? url : url.slice(0, q));
    if (market === undefined) return rejectUpgrade(socket, 404, 'unknown path: use /options or /futures');
    const verdict = verifyConnectQuery(q < 0 ? '' : url.slice(q + 1), (key) => this.accounts.get(key)?.account.apiSecret, this.now());
    if (!verdict.ok) return rejectUpgrade(socket, 403, verdict.reason);
    this.wss.handleUpgrade(req, socket, head, (ws: WebSocket) => {
      this.connections.add(new Connection(ws, market, verdict.apiKey, this));
    });
  }

  private context(events: ReadonlyMap<string, Readonly<Record<MarketName, MarketEvents>>>, accountPushDue: boolean): TickContext {
    return { market: this.market, now: this.now(), accountOf: (key) => this.accounts.get(key)?.state, events, accountPushDue };
  }

  /** Options whose trades someone watches (books, trades, candles, pricing): only those trade. */
  private activeOptions(): Set<string> {
    const out = new Set<string>();
    for (const c of this.connections) {
      if (c.market !== 'options') continue;
      for (const { watches } of c.topics.values()) if (watches !== undefined) out.add(watches);
    }
    return out;
  }

  private tick(): void {
    const now = this.now();
    this.market.step(now, this.activeOptions());
    const events = new Map<string, Readonly<Record<MarketName, MarketEvents>>>();
    for (const [apiKey, { state }] of this.accounts) events.set(apiKey, state.step(now));
    const accountPushDue = now - this.lastAccountPush >= ACCOUNT_PUSH_INTERVAL_MS;
    if (accountPushDue) this.lastAccountPush = now;
    const ctx = this.context(events, accountPushDue);
    this.publisher.beginTick();
    for (const connection of this.connections) {
      if (!connection.open) continue;
      for (const topic of connection.topics.values()) {
        if (this.faults.isPaused(topic.dataType)) continue;
        for (const frame of this.publisher.frames(connection, topic, ctx)) connection.send(frame);
      }
    }
  }
}

function wsUrl(host: string, port: number, path: string): string {
  return `ws://${host.includes(':') ? `[${host}]` : host}:${port}${path}`;
}

function httpUrl(host: string, port: number): string {
  return `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
}

/** Starts a simulator and resolves once it listens. */
export async function startSimulator(options: SimulatorOptions = {}): Promise<Simulator> {
  const host = options.host ?? DEFAULT_HOST;
  const server = new SimulatorServer(options);
  let port: number;
  try {
    port = await server.listen(options.port ?? 0, host);
  } catch (error) {
    await server.close();
    throw error;
  }
  return {
    port,
    urls: { options: wsUrl(host, port, '/options'), futures: wsUrl(host, port, '/futures') },
    restUrl: httpUrl(host, port),
    requests: server.requests,
    activeSubscriptions: () => server.activeSubscriptions(),
    connectionCount: (market) => {
      let n = 0;
      server.each(market, undefined, (c) => (n += c.open ? 1 : 0));
      return n;
    },
    sendRaw: (market, text, apiKey) => server.each(market, apiKey, (c) => c.send(text)),
    faults: {
      dropConnections: (market) => server.each(market, undefined, (c) => c.terminate()),
      muteHeartbeats: (muted) => {
        server.faults.heartbeatsMuted = muted;
      },
      refuseSubscriptions: (match) => {
        server.faults.refusal = match;
      },
      sendMalformed: (market, count = DEFAULT_MALFORMED_COUNT) => {
        const frames = malformedFrames(market, count);
        server.each(market, undefined, (c) => frames.forEach((frame) => c.send(frame)));
      },
      pauseTopics: (paused, dataType) => server.faults.pause(paused, dataType),
    },
    close: () => server.close(),
  };
}
