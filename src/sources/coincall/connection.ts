/**
 * One upstream WebSocket to Coincall (one market, one credential), as one
 * explicit state machine:
 *
 *   connecting ──open──> open ──drop / heartbeat lost──> backoff ──timer──> connecting
 *        │                 └──the exchange closed it while idle──> connecting (at once, renewing)
 *        └──403──> refused            any ──close()──> [draining ──>] closed
 *
 * Each state carries its own data (its socket, timers, attempt count, whether
 * the session answered), and every change of state goes through the one
 * `teardown`: the old state's timers stop and, unless the new state carries it
 * on, its socket is let go with the requests queued for it.
 *
 * It signs a fresh URL on every connect, sends an application heartbeat (at
 * once on open, then periodically), and reconnects with capped, jittered
 * backoff (reset after the first good frame) when the socket drops or the
 * exchange goes silent. Liveness is judged by the last frame of ANY kind:
 * data frames prove the connection alive as well as a heartbeat answer, so a
 * backlog of data never makes a healthy connection look dead, and a silence
 * of `heartbeatTimeoutMs` (data and heartbeat answers alike) drops it. Frames
 * larger than `maxFrameBytes` close the socket (1009): logged, counted by the
 * caller (`onOversized`), and the connection is renewed. Requests are paced
 * (`pacer.ts`). A refused credential (HTTP 401/403) is reported once and, unless
 * told to, not retried; a 403 that came after the handshake's signature went
 * stale (an exchange that stopped and came back) is not a verdict on the key:
 * reconnected like a drop. Closing may first drain the paced queue, so that
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
import { HEARTBEAT_REQUEST, parseFrame } from '../../coincall/protocol.ts';
import { SIGNATURE_MAX_SKEW_MS, signedUrl } from '../../coincall/signing.ts';
import { fullJitterBackoff, DEFAULT_BACKOFF_BASE_MS, DEFAULT_BACKOFF_MAX_MS } from '../../lib/backoff.ts';
import { CLOSE_CODES } from '../../lib/errors.ts';
import {
  CLOSED,
  CONNECT_TIMEOUT_MS,
  DEFAULT_HEARTBEAT_INTERVAL_MS,
  DEFAULT_HEARTBEAT_TIMEOUT_MS,
  FRAME_TOO_BIG,
  MAX_HANDSHAKE_WAIT_MS,
  socketOf,
  type State,
} from './connection-state.ts';
import { createPacer } from './pacer.ts';

export { REQUEST_BUDGET_PER_SECOND } from './pacer.ts';
export { CONNECT_TIMEOUT_MS, DEFAULT_HEARTBEAT_INTERVAL_MS, DEFAULT_HEARTBEAT_TIMEOUT_MS } from './connection-state.ts';
export type { ConnectionOptions, ConnectionState, ConnectionStats, UpstreamConnection } from './connection-api.ts';
import type { ConnectionOptions, ConnectionState, UpstreamConnection } from './connection-api.ts';

const { ABNORMAL: ABNORMAL_CLOSURE, NORMAL: NORMAL_CLOSURE } = CLOSE_CODES;

export function openConnection(options: ConnectionOptions): UpstreamConnection {
  const { market, logger: log } = options;
  const now = options.now ?? Date.now;
  const heartbeatEvery = options.heartbeatIntervalMs ?? DEFAULT_HEARTBEAT_INTERVAL_MS;
  const heartbeatTimeout = options.heartbeatTimeoutMs ?? DEFAULT_HEARTBEAT_TIMEOUT_MS;
  const backoff = options.backoff ?? fullJitterBackoff({ baseMs: DEFAULT_BACKOFF_BASE_MS, maxMs: DEFAULT_BACKOFF_MAX_MS });

  let state: State = CLOSED;
  let opens = 0;
  let lastMessageAt: number | undefined;
  let closing: Promise<void> | undefined;

  const writable = () => socketOf(state)?.readyState === WebSocket.OPEN;
  const pacer = createPacer({ now, canWrite: writable, write: (text) => socketOf(state)?.send(text) });

  /**
   * The one teardown, run on every change of state: what `from` held and `to`
   * does not keep stops. Its timers always; its socket (with the requests
   * queued for it) unless `to` carries the same socket on. `graceful` closes an
   * open socket with a close frame instead of cutting it.
   */
  const teardown = (from: State, to: State, graceful: boolean) => {
    if (from.kind === 'open') {
      clearInterval(from.heartbeat);
      clearTimeout(from.deadline);
    } else if (from.kind === 'backoff') clearTimeout(from.timer);
    const socket = socketOf(from);
    if (socket === undefined || socket === socketOf(to)) return;
    pacer.clear();
    socket.removeAllListeners();
    socket.on('error', () => undefined);
    if (graceful && socket.readyState === WebSocket.OPEN) socket.close(NORMAL_CLOSURE);
    else socket.terminate();
  };

  const reported = (s: State): ConnectionState => (s.kind === 'draining' ? 'closed' : s.kind);
  const enter = (to: State, { graceful = false } = {}) => {
    const from = state;
    state = to;
    teardown(from, to, graceful);
    if (reported(from) !== reported(to)) options.onStateChange?.(reported(to));
  };

  /** The socket failed: back off (escalating unless the session answered), then reconnect. */
  const goDown = (reason: string) => {
    if (state.kind !== 'connecting' && state.kind !== 'open') return;
    const attempt = state.kind === 'open' && state.answered ? 0 : state.attempt;
    const delay = backoff(attempt);
    enter({ kind: 'backoff', timer: setTimeout(() => reconnect(attempt + 1, false), delay), attempt: attempt + 1, renewing: false });
    log.warn({ reason, retryInMs: delay }, 'upstream connection down; reconnecting');
    options.onDown?.();
  };

  /** The exchange closed an idle connection: routine, so no backoff and no alarm. */
  const renewIdle = (code: number, reason: string) => {
    reconnect(0, true);
    log.info({ code, reason }, 'upstream closed the idle connection; reconnecting');
    options.onDown?.();
  };

  /** Connects now, or first waits for the handshake budget when there is one. */
  const reconnect = (attempt: number, renewing: boolean) => {
    const wait = options.handshakeDelay?.() ?? 0;
    if (wait > 0)
      enter({
        kind: 'backoff',
        timer: setTimeout(() => connect(attempt, renewing), Math.min(wait, MAX_HANDSHAKE_WAIT_MS)),
        attempt,
        renewing,
      });
    else connect(attempt, renewing);
  };

  const sendHeartbeat = () => {
    if (state.kind !== 'open' || state.socket.readyState !== WebSocket.OPEN) return;
    state.socket.send(HEARTBEAT_REQUEST);
  };

  /**
   * The silence watchdog: re-armed for the rest of the window while frames keep coming.
   * When it seems silent, the verdict waits for the I/O phase of this loop turn (`setImmediate`
   * runs after it): a loop busy with a backlog fires timers before it reads the frames that
   * arrived meanwhile, and those frames prove the connection alive.
   */
  const watch = (open: Extract<State, { kind: 'open' }>) => {
    const left = open.heardAt + heartbeatTimeout - now();
    open.deadline = setTimeout(
      () => {
        if (state !== open) return;
        if (now() - open.heardAt < heartbeatTimeout) return watch(open);
        setImmediate(() => {
          if (state !== open) return;
          if (now() - open.heardAt >= heartbeatTimeout) goDown(`no frame for ${heartbeatTimeout} ms`);
          else watch(open);
        });
      },
      Math.max(1, left),
    );
  };

  const opened = (socket: WebSocket, attempt: number, renewing: boolean) => {
    const at = now();
    const open: Extract<State, { kind: 'open' }> = {
      kind: 'open',
      socket,
      since: at,
      attempt,
      answered: false,
      renewing,
      heartbeat: setInterval(sendHeartbeat, heartbeatEvery),
      heardAt: at,
      deadline: undefined,
    };
    enter(open);
    watch(open);
    sendHeartbeat();
    if (++opens > 1) log.info({ reconnects: opens - 1 }, 'upstream connection restored');
    options.onOpen();
  };

  const received = (open: Extract<State, { kind: 'open' }>, text: string) => {
    const receivedAt = now();
    lastMessageAt = receivedAt;
    open.heardAt = receivedAt;
    const frame = parseFrame(text);
    if (frame.kind === 'heartbeat' && !frame.ok) return goDown('heartbeat answered with failure');
    if (frame.kind !== 'invalid') open.answered = true;
    options.onFrame(frame, receivedAt);
  };

  /** The upgrade of a handshake signed at `signedAt` was answered `status`. */
  const refusedUpgrade = (status: number, signedAt: number) => {
    const waitedMs = now() - signedAt;
    if ((status === 401 || status === 403) && waitedMs > SIGNATURE_MAX_SKEW_MS) {
      // Answered after its signature went stale (an exchange that stopped and came back reads the
      // handshakes left waiting): that says nothing of the key. A fresh signature follows.
      log.warn({ status, waitedMs }, 'upstream refused a handshake answered after its signature went stale; reconnecting');
      return goDown(`upgrade answered ${status} after ${waitedMs} ms`);
    }
    if (status === 401 || status === 403) {
      if (!options.retryOnRefusal) {
        enter({ kind: 'refused' });
        log.warn({ status }, 'upstream refused the credential');
        options.onRefused(status);
        return;
      }
      log.error({ status }, 'upstream refused the server credential; check COINCALL_API_KEY/SECRET and the clock');
    }
    goDown(`upgrade answered ${status}`);
  };

  function connect(attempt: number, renewing: boolean): void {
    const signedAt = now();
    const ws = new WebSocket(signedUrl(options.url, options.credential, signedAt), {
      handshakeTimeout: CONNECT_TIMEOUT_MS,
      ...(options.maxFrameBytes === undefined ? {} : { maxPayload: options.maxFrameBytes }),
    });
    enter({ kind: 'connecting', socket: ws, attempt, renewing });
    /** Whether `ws` is still this connection's socket (not one we let go, or are closing ourselves). */
    const current = () => (state.kind === 'connecting' || state.kind === 'open') && state.socket === ws;
    ws.on('open', () => {
      if (state.kind === 'connecting' && state.socket === ws) opened(ws, state.attempt, state.renewing);
    });
    ws.on('message', (data, isBinary) => {
      if (state.kind !== 'open' || state.socket !== ws) return;
      received(state, isBinary ? Buffer.from(data as Buffer).toString('utf8') : data.toString());
    });
    ws.on('unexpected-response', (_req, res) => {
      res.resume();
      if (current()) refusedUpgrade(res.statusCode ?? 0, signedAt);
    });
    ws.on('close', (code, reason) => {
      if (!current()) return;
      const routine = code !== ABNORMAL_CLOSURE && state.kind === 'open' && state.answered && (options.isIdle?.() ?? false);
      if (routine) renewIdle(code, reason.toString());
      else goDown(`socket closed (${code})`);
    });
    ws.on('error', (error) => {
      log.debug({ err: error.message }, 'upstream socket error');
      if (current() && 'code' in error && error.code === FRAME_TOO_BIG) {
        log.warn(
          { maxFrameBytes: options.maxFrameBytes },
          'upstream frame over UPSTREAM_MAX_FRAME_BYTES; dropped it and renewing the connection',
        );
        options.onOversized?.();
      }
      if (current() && ws.readyState !== WebSocket.OPEN && ws.readyState !== WebSocket.CLOSING) goDown(error.message);
    });
  }

  connect(0, false);

  return {
    send(text, onWritten) {
      if (writable()) pacer.send(text, onWritten);
    },
    stats: () => ({
      market,
      state: reported(state),
      connectedSince: state.kind === 'open' ? state.since : undefined,
      reconnects: Math.max(0, opens - 1),
      lastMessageAt,
    }),
    available: () =>
      (state.kind === 'open' && (state.answered || state.renewing) && now() - state.heardAt < heartbeatTimeout) ||
      ((state.kind === 'connecting' || state.kind === 'backoff') && state.renewing),
    close(drainMs = 0) {
      if (closing !== undefined) return closing;
      const socket = socketOf(state);
      if (socket === undefined || socket.readyState !== WebSocket.OPEN || drainMs <= 0) {
        enter(CLOSED, { graceful: true });
        closing = Promise.resolve();
        return closing;
      }
      // The heartbeat stops; the socket and its queue stay, so the unsubscribes still go out.
      enter({ kind: 'draining', socket });
      closing = new Promise<void>((resolve) => {
        const finish = () => {
          clearTimeout(deadline);
          enter(CLOSED, { graceful: true });
          resolve();
        };
        const deadline = setTimeout(finish, drainMs);
        // The peer answers our close frame after it has read every request before it.
        socket.once('close', finish);
        pacer.drain(() => socket.close(NORMAL_CLOSURE));
      });
      return closing;
    },
  };
}
