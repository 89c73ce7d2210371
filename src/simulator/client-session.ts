/**
 * One client connection of the simulator: reads requests, answers heartbeats,
 * acknowledges subscribe/unsubscribe, enforces the request rate limit and the
 * idle timeout (no client traffic; with the strict rule also no subscription,
 * heartbeats or not), and holds the connection's topics. What to publish on those
 * topics is the server's business.
 */
import type { WebSocket } from 'ws';
import { CODE_HEARTBEAT, RC_OK, type MarketName } from '../coincall/protocol.ts';
import { isRecord } from '../lib/json.ts';
import type { FaultState } from './faults.ts';
import type { SimulatorListing } from './simulated-listing.ts';
import { parseTopics, type Topic } from './requests.ts';

/** Close code and reasons of an idle connection: no client traffic, or (strict rule) no subscription. */
export const IDLE_CLOSE_CODE = 1000;
export const IDLE_CLOSE_REASON = 'idle timeout';
export const NO_SUBSCRIPTION_CLOSE_REASON = 'idle timeout: no subscription';
/** A closing socket that does not finish the close handshake in this long is terminated. */
const CLOSE_GRACE_MS = 1_000;
const RATE_WINDOW_MS = 1_000;
/** Notice codes (the exchange's own are undocumented). */
export const TOO_MANY_REQUESTS_CODE = 429;
const BAD_REQUEST_CODE = 400;
export const TOO_MANY_REQUESTS_MESSAGE = 'too many request';

const HEARTBEAT_ANSWER = JSON.stringify({ c: CODE_HEARTBEAT, rc: RC_OK });

export interface RequestLogEntry {
  readonly market: MarketName;
  readonly apiKey: string;
  readonly action: string;
  readonly dataType?: string;
  readonly payload?: unknown;
  readonly at: number;
}

/** What a connection needs from the server. */
export interface ConnectionHost {
  readonly faults: FaultState;
  readonly maxRequestsPerSecond: number;
  readonly idleTimeoutMs: number;
  /** Also close a connection that has had no subscription for `idleTimeoutMs`, heartbeats or not. */
  readonly strictIdle: boolean;
  /** What the simulator lists: subscribes for anything else are refused. */
  readonly listing: SimulatorListing;
  now(): number;
  log(entry: RequestLogEntry): void;
  /** A topic was added: the server may send its first frame at once. */
  subscribed(connection: Connection, topic: Topic): void;
  closed(connection: Connection): void;
}

export class Connection {
  readonly market: MarketName;
  readonly apiKey: string;
  readonly topics = new Map<string, Topic>();
  private readonly socket: WebSocket;
  private readonly host: ConnectionHost;
  private readonly idleTimer: NodeJS.Timeout;
  /** Runs while the connection has no topic (strict idle rule only). */
  private unsubscribedTimer: NodeJS.Timeout | undefined;
  private graceTimer: NodeJS.Timeout | undefined;
  private windowStart = 0;
  private windowCount = 0;
  private disposed = false;

  constructor(socket: WebSocket, market: MarketName, apiKey: string, host: ConnectionHost) {
    this.socket = socket;
    this.market = market;
    this.apiKey = apiKey;
    this.host = host;
    this.idleTimer = setTimeout(() => this.close(IDLE_CLOSE_CODE, IDLE_CLOSE_REASON), host.idleTimeoutMs);
    this.watchTopics();
    socket.on('message', (data, isBinary) => this.onMessage(isBinary ? '' : String(data)));
    socket.on('close', () => this.dispose());
    socket.on('error', () => this.terminate());
  }

  get open(): boolean {
    return this.socket.readyState === this.socket.OPEN;
  }

  send(text: string): void {
    if (this.open) this.socket.send(text);
  }

  /** Closes with a handshake, terminating if the peer does not answer in time. */
  close(code: number, reason: string): void {
    if (!this.open) return;
    this.socket.close(code, reason);
    this.graceTimer = setTimeout(() => this.terminate(), CLOSE_GRACE_MS);
  }

  /** Drops the socket abruptly (no close frame). */
  terminate(): void {
    this.socket.terminate();
    this.dispose();
  }

  private dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    clearTimeout(this.idleTimer);
    clearTimeout(this.unsubscribedTimer);
    clearTimeout(this.graceTimer);
    this.topics.clear();
    this.host.closed(this);
  }

  /** Strict idle rule: the clock runs while there is no topic, and heartbeats do not stop it. */
  private watchTopics(): void {
    if (!this.host.strictIdle) return;
    if (this.topics.size > 0) {
      clearTimeout(this.unsubscribedTimer);
      this.unsubscribedTimer = undefined;
    } else if (this.unsubscribedTimer === undefined) {
      this.unsubscribedTimer = setTimeout(() => this.close(IDLE_CLOSE_CODE, NO_SUBSCRIPTION_CLOSE_REASON), this.host.idleTimeoutMs);
    }
  }

  private notice(code: number, message: string): void {
    this.send(JSON.stringify({ code, message }));
  }

  /** Counts a request; false when over the per-second budget. */
  private withinRate(now: number): boolean {
    if (now - this.windowStart >= RATE_WINDOW_MS) {
      this.windowStart = now;
      this.windowCount = 0;
    }
    if (this.windowCount >= this.host.maxRequestsPerSecond) return false;
    this.windowCount++;
    return true;
  }

  private onMessage(text: string): void {
    this.idleTimer.refresh();
    const now = this.host.now();
    if (!this.withinRate(now)) return this.notice(TOO_MANY_REQUESTS_CODE, TOO_MANY_REQUESTS_MESSAGE);
    let request: unknown;
    try {
      request = JSON.parse(text);
    } catch {
      return this.notice(BAD_REQUEST_CODE, 'invalid request: not JSON');
    }
    if (!isRecord(request)) return this.notice(BAD_REQUEST_CODE, 'invalid request: not an object');
    const action = request['action'];
    if (action === 'heartbeat' || (action === undefined && request['c'] === CODE_HEARTBEAT)) {
      if (!this.host.faults.heartbeatsMuted) this.send(HEARTBEAT_ANSWER);
      return;
    }
    if (action === 'subscribe') return this.subscribe(request['dataType'], request['payload'], now);
    if (action === 'unSubscribe' || action === 'unsubscribe') return this.unsubscribe(action, request['dataType'], request['payload'], now);
    this.notice(BAD_REQUEST_CODE, `invalid request: unknown action ${String(action)}`);
  }

  private logRequest(action: string, dataType: unknown, payload: unknown, at: number): void {
    this.host.log({
      market: this.market,
      apiKey: this.apiKey,
      action,
      ...(typeof dataType === 'string' ? { dataType } : {}),
      ...(payload === undefined ? {} : { payload }),
      at,
    });
  }

  private ack(action: 'SUBSCRIBE' | 'UNSUBSCRIBE', dataType: unknown, payload: unknown, failure?: string): void {
    const base = { action, dataType: typeof dataType === 'string' ? dataType : '', ...(payload === undefined ? {} : { payload }) };
    this.send(JSON.stringify(failure === undefined ? { ...base, result: 'success' } : { ...base, result: 'failed', message: failure }));
  }

  private subscribe(dataType: unknown, payload: unknown, now: number): void {
    this.logRequest('subscribe', dataType, payload, now);
    const refusal = typeof dataType === 'string' ? this.host.faults.refusalOf({ market: this.market, dataType, payload }) : undefined;
    if (refusal !== undefined) return this.ack('SUBSCRIBE', dataType, payload, refusal);
    const parsed = parseTopics(this.market, dataType, payload, now, this.host.listing);
    if (!parsed.ok) return this.ack('SUBSCRIBE', dataType, payload, parsed.reason);
    const added = parsed.topics.filter((topic) => !this.topics.has(topic.key));
    for (const topic of added) this.topics.set(topic.key, topic);
    this.watchTopics();
    this.ack('SUBSCRIBE', dataType, payload);
    for (const topic of added) this.host.subscribed(this, topic);
  }

  private unsubscribe(action: string, dataType: unknown, payload: unknown, now: number): void {
    this.logRequest(action, dataType, payload, now);
    const parsed = parseTopics(this.market, dataType, payload, now, this.host.listing);
    if (!parsed.ok) return this.ack('UNSUBSCRIBE', dataType, payload, parsed.reason);
    for (const topic of parsed.topics) this.topics.delete(topic.key);
    this.watchTopics();
    this.ack('UNSUBSCRIBE', dataType, payload);
  }
}
