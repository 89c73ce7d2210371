/**
 * One upstream WebSocket to Coincall (one market, one credential).
 *
 * Signs a fresh URL on every connect, sends an application heartbeat, and
 * heals itself: when the socket drops or a heartbeat goes unanswered it
 * reconnects with capped, jittered backoff (reset after the first good frame).
 * Requests are paced under the exchange's per-connection budget. A refused
 * credential (HTTP 403 on the upgrade) is reported once and, unless told to,
 * not retried. Closing may first drain the request queue (still paced), so that
 * shutdown's unsubscribes all go out, within a deadline.
 *
 * The exchange closes connections that carry no subscription for a while. A
 * clean close (a close frame) of a connection with no live topic, after a
 * session that worked (it answered at least once), is routine: it is logged at
 * info, reconnected at once without touching the backoff, and the connection
 * stays `available()` meanwhile. Anything else is a failure as before.
 *
 * This is one of the three places that construct sockets.
 */
import WebSocket from 'ws';
import { HEARTBEAT_REQUEST, MAX_REQUESTS_PER_SECOND, parseFrame, type Frame, type MarketName } from '../coincall/protocol.ts';
import { signedUrl, type Credential } from '../coincall/signing.ts';
import { fullJitterBackoff, DEFAULT_BACKOFF_BASE_MS, DEFAULT_BACKOFF_MAX_MS, type Backoff } from '../lib/backoff.ts';
import type { Logger } from '../lib/logger.ts';

export const DEFAULT_HEARTBEAT_INTERVAL_MS = 10_000;
/** How long a heartbeat may go unanswered before the connection counts as dead. */
export const DEFAULT_HEARTBEAT_TIMEOUT_MS = 5_000;
/** Requests per second we allow ourselves: the exchange's limit less headroom for heartbeats. */
export const REQUEST_BUDGET_PER_SECOND = MAX_REQUESTS_PER_SECOND - 10;
/** Requests sent back to back before pacing starts. */
const PACING_BURST = 10;
/** Steady request rate; with the burst, any one second stays within REQUEST_BUDGET_PER_SECOND. */
const PACING_RATE_PER_SECOND = REQUEST_BUDGET_PER_SECOND - PACING_BURST;
/** How long a connect attempt may take before it is abandoned. */
export const CONNECT_TIMEOUT_MS = 10_000;
/** The close code `ws` reports when the socket ended without a close frame. */
const ABNORMAL_CLOSURE = 1006;
/** Longest wait a handshake budget can impose on one reconnect (a setTimeout must stay finite). */
const MAX_HANDSHAKE_WAIT_MS = 10 * 60_000;

export type ConnectionState = 'connecting' | 'open' | 'backoff' | 'refused' | 'closed';

export interface ConnectionOptions {
  readonly market: MarketName;
  readonly url: string;
  readonly credential: Credential;
  readonly logger: Logger;
  readonly now?: () => number;
  readonly heartbeatIntervalMs?: number;
  readonly heartbeatTimeoutMs?: number;
  readonly backoff?: Backoff;
  /** Keep retrying after a 403 (the server's own key: it may be a clock skew); private credentials do not. */
  readonly retryOnRefusal?: boolean;
  /**
   * Asked before every reconnect attempt: how many more ms to wait (0: go now).
   * The gateway paces private reconnects through its global handshake budget.
   */
  readonly handshakeDelay?: () => number;
  readonly onOpen: () => void;
  readonly onFrame: (frame: Frame, receivedAt: number) => void;
  /** The exchange refused the credential (403). */
  readonly onRefused: (status: number) => void;
  /** The socket went down (it will reconnect unless refused or closed). */
  readonly onDown?: () => void;
  /** Whether the connection carries no live topic (an exchange's close of it is then routine). */
  readonly isIdle?: () => boolean;
}

export interface ConnectionStats {
  readonly market: MarketName;
  readonly state: ConnectionState;
  readonly connectedSince: number | undefined;
  readonly reconnects: number;
  readonly lastMessageAt: number | undefined;
}

export interface UpstreamConnection {
  /**
   * Queues a request; requests made while down are dropped (topics are re-sent
   * on open). `onWritten` runs when the paced queue hands it to the socket.
   */
  send(text: string, onWritten?: () => void): void;
  stats(): ConnectionStats;
  /** Open, or reconnecting after the exchange closed it while idle (routine, not a failure). */
  available(): boolean;
  /**
   * Closes for good. With `drainMs`, the queued requests go out first (paced)
   * and the close handshake completes, or `drainMs` passes; the promise
   * resolves then. Without it, queued requests are dropped and it resolves at once.
   */
  close(drainMs?: number): Promise<void>;
}

export function openConnection(options: ConnectionOptions): UpstreamConnection {
  const now = options.now ?? Date.now;
  const log = options.logger;
  const heartbeatEvery = options.heartbeatIntervalMs ?? DEFAULT_HEARTBEAT_INTERVAL_MS;
  const heartbeatTimeout = options.heartbeatTimeoutMs ?? DEFAULT_HEARTBEAT_TIMEOUT_MS;
  const backoff = options.backoff ?? fullJitterBackoff({ baseMs: DEFAULT_BACKOFF_BASE_MS, maxMs: DEFAULT_BACKOFF_MAX_MS });

  let socket: WebSocket | undefined;
  let state: ConnectionState = 'connecting';
  let attempt = 0;
  /** This session has had a good frame from the exchange. */
  let sessionAnswered = false;
  /** Reconnecting after a routine idle close. */
  let renewing = false;
  let reconnects = 0;
  let everOpened = false;
  let connectedSince: number | undefined;
  let lastMessageAt: number | undefined;
  let heartbeatTimer: NodeJS.Timeout | undefined;
  let heartbeatDeadline: NodeJS.Timeout | undefined;
  let retryTimer: NodeJS.Timeout | undefined;
  let pacingTimer: NodeJS.Timeout | undefined;
  const outbox: Array<{ readonly text: string; readonly onWritten: (() => void) | undefined }> = [];
  /** While closing with a drain: what to do once the queue is empty. */
  let afterDrain: (() => void) | undefined;
  let closing: Promise<void> | undefined;

  const clearTimers = () => {
    clearInterval(heartbeatTimer);
    clearTimeout(heartbeatDeadline);
    clearTimeout(pacingTimer);
    heartbeatTimer = heartbeatDeadline = pacingTimer = undefined;
  };

  // Token bucket: a small burst, then an even pace, so that no second (however aligned, and
  // whatever the network's jitter) carries more than burst + rate requests.
  let tokens = PACING_BURST;
  let refilledAt = now();
  const flush = () => {
    pacingTimer = undefined;
    while (outbox.length > 0 && socket?.readyState === WebSocket.OPEN) {
      const t = now();
      tokens = Math.min(PACING_BURST, tokens + ((t - refilledAt) * PACING_RATE_PER_SECOND) / 1_000);
      refilledAt = t;
      if (tokens < 1) {
        pacingTimer = setTimeout(flush, Math.ceil(((1 - tokens) * 1_000) / PACING_RATE_PER_SECOND));
        return;
      }
      tokens -= 1;
      const request = outbox.shift() as (typeof outbox)[number];
      socket.send(request.text);
      request.onWritten?.();
    }
    if (outbox.length === 0) afterDrain?.();
  };

  const dropSocket = () => {
    clearTimers();
    outbox.length = 0;
    const s = socket;
    socket = undefined;
    connectedSince = undefined;
    s?.removeAllListeners();
    s?.on('error', () => undefined);
    s?.terminate();
    state = 'backoff';
  };

  const goDown = (reason: string) => {
    if (state === 'closed' || state === 'refused') return;
    renewing = false;
    dropSocket();
    const delay = backoff(attempt++);
    log.warn({ market: options.market, reason, retryInMs: delay }, 'upstream connection down; reconnecting');
    options.onDown?.();
    retryTimer = setTimeout(reconnect, delay);
  };

  /** The exchange closed an idle connection: routine, so no backoff and no alarm. */
  const renewIdle = (code: number, reason: string) => {
    dropSocket();
    renewing = true;
    log.info({ market: options.market, code, reason }, 'upstream closed the idle connection; reconnecting');
    options.onDown?.();
    reconnect();
  };

  /** After the backoff: wait for the handshake budget too, when there is one. */
  const reconnect = () => {
    const wait = options.handshakeDelay?.() ?? 0;
    if (wait > 0) retryTimer = setTimeout(connect, Math.min(wait, MAX_HANDSHAKE_WAIT_MS));
    else connect();
  };

  const sendHeartbeat = () => {
    if (socket?.readyState !== WebSocket.OPEN) return;
    socket.send(HEARTBEAT_REQUEST);
    if (heartbeatDeadline === undefined)
      heartbeatDeadline = setTimeout(() => goDown('heartbeat unanswered'), heartbeatTimeout);
  };

  function connect(): void {
    retryTimer = undefined;
    if (state === 'closed') return;
    state = 'connecting';
    sessionAnswered = false;
    const ws = new WebSocket(signedUrl(options.url, options.credential, now()), { handshakeTimeout: CONNECT_TIMEOUT_MS });
    socket = ws;
    ws.on('open', () => {
      state = 'open';
      renewing = false;
      connectedSince = now();
      if (everOpened) {
        reconnects++;
        log.info({ market: options.market, reconnects }, 'upstream connection restored');
      }
      everOpened = true;
      heartbeatTimer = setInterval(sendHeartbeat, heartbeatEvery);
      options.onOpen();
    });
    ws.on('message', (data, isBinary) => {
      if (state === 'closed') return;
      const receivedAt = now();
      lastMessageAt = receivedAt;
      const frame = parseFrame(isBinary ? Buffer.from(data as Buffer).toString('utf8') : data.toString());
      if (frame.kind === 'heartbeat') {
        if (!frame.ok) return goDown('heartbeat answered with failure');
        clearTimeout(heartbeatDeadline);
        heartbeatDeadline = undefined;
      }
      if (frame.kind !== 'invalid') {
        attempt = 0;
        sessionAnswered = true;
      }
      options.onFrame(frame, receivedAt);
    });
    ws.on('unexpected-response', (_req, res) => {
      const status = res.statusCode ?? 0;
      res.resume();
      if (status === 401 || status === 403) {
        if (!options.retryOnRefusal) {
          state = 'refused';
          clearTimers();
          socket = undefined;
          ws.removeAllListeners();
          ws.on('error', () => undefined);
          ws.terminate();
          log.warn({ market: options.market, status }, 'upstream refused the credential');
          options.onRefused(status);
          return;
        }
        log.error({ market: options.market, status }, 'upstream refused the server credential; check COINCALL_API_KEY/SECRET and the clock');
      }
      goDown(`upgrade answered ${status}`);
    });
    ws.on('close', (code, reason) => {
      // While we close it ourselves (draining), its close is ours, not the exchange's.
      if (socket !== ws || state === 'closed') return;
      const routine = code !== ABNORMAL_CLOSURE && sessionAnswered && (options.isIdle?.() ?? false);
      if (routine) renewIdle(code, reason.toString());
      else goDown(`socket closed (${code})`);
    });
    ws.on('error', (error) => {
      log.debug({ market: options.market, err: error.message }, 'upstream socket error');
      if (socket === ws && ws.readyState !== WebSocket.OPEN) goDown(error.message);
    });
  }

  connect();

  return {
    send(text, onWritten) {
      if (socket?.readyState !== WebSocket.OPEN) return;
      outbox.push({ text, onWritten });
      if (pacingTimer === undefined) flush();
    },
    stats: () => ({ market: options.market, state, connectedSince, reconnects, lastMessageAt }),
    available: () => state === 'open' || (renewing && (state === 'connecting' || state === 'backoff')),
    close(drainMs = 0) {
      if (closing !== undefined) return closing;
      state = 'closed';
      clearInterval(heartbeatTimer);
      clearTimeout(heartbeatDeadline);
      clearTimeout(retryTimer);
      heartbeatTimer = heartbeatDeadline = retryTimer = undefined;
      const s = socket;
      const release = () => {
        clearTimeout(pacingTimer);
        pacingTimer = undefined;
        outbox.length = 0;
        afterDrain = undefined;
        socket = undefined;
        if (s === undefined) return;
        s.removeAllListeners();
        s.on('error', () => undefined);
        if (s.readyState === WebSocket.OPEN) s.close(1000);
        else s.terminate();
      };
      if (s === undefined || s.readyState !== WebSocket.OPEN || drainMs <= 0) {
        release();
        closing = Promise.resolve();
        return closing;
      }
      closing = new Promise<void>((resolve) => {
        const finish = () => {
          clearTimeout(deadline);
          release();
          resolve();
        };
        const deadline = setTimeout(finish, drainMs);
        // The peer answers our close frame after it has read every request before it.
        s.once('close', finish);
        afterDrain = () => {
          afterDrain = undefined;
          s.close(1000);
        };
        if (pacingTimer === undefined) flush();
      });
      return closing;
    },
  };
}
