/**
 * The access check on graphql-ws, as a wrapper of the gateway's server
 * options (`ws-options.ts` stays as it is): at `connection_init` the key comes
 * from `connectionParams.authorization` ("Bearer …"; the name in any letter
 * case, as HTTP header names are) or else the upgrade's `Authorization`
 * header; without a valid one the socket closes with 4403 and a reason that
 * says why. An admitted socket counts as a connection of its key (over
 * maxConnections: 1013, the reason naming the key id), ends with 4403 "token
 * expired" when its token does, with 4403 "key revoked" when the keys file
 * drops its key, and with 4403 "key changed: reconnect" when it takes a scope
 * or room away. Each `subscribe` is checked against the key as it stands now
 * (trusted document, introspection, a subscription's scope, the key's
 * maxSubscriptions) and refused in band: the socket and its other
 * operations go on.
 */
import type { GraphQLError } from 'graphql';
import type { ServerOptions, SubscribePayload } from 'graphql-ws';
import { ANONYMOUS, type Principal, type RefusalReason } from '../../auth/principal.ts';
import { atDeadline, type DeadlineTimer } from '../../lib/deadline-timer.ts';
import { CLOSE_CODES, limitExceededError } from '../../lib/errors.ts';
import type { WsExtra } from '../graphql-ws/ws-adapter.ts';
import { TOKEN_EXPIRED, type AccessControl } from './access-control.ts';

/** A close reason's most bytes (RFC 6455: 125 less the code's two). */
const MAX_CLOSE_REASON_BYTES = 123;

/** The close reason of each refusal: short enough for a close frame. */
const CLOSE_REASONS: Readonly<Record<RefusalReason, string>> = {
  missing: 'A key is needed: connectionParams { authorization: "Bearer <key>" } or the upgrade\'s Authorization header',
  unknown: 'The key presented is not valid for this gateway',
  expired: TOKEN_EXPIRED,
  scope: 'The key lacks the scope',
  document: 'Not a trusted document',
};

/** A message cut to fit a close frame (whole characters). */
function closeReason(message: string): string {
  let reason = message;
  while (Buffer.byteLength(reason) > MAX_CLOSE_REASON_BYTES) reason = `${reason.slice(0, -2)}…`;
  return reason;
}

type WsOptions = ServerOptions<Record<string, unknown> | undefined, WsExtra>;

/** One admitted socket's key, its connection count's release and its counted operations. */
interface SocketAccess {
  readonly principal: Principal;
  readonly release: () => void;
  readonly operations: Map<string, () => void>;
  readonly expiry: DeadlineTimer | undefined;
  readonly fields: Readonly<Record<string, unknown>>;
}

const isRecord = (value: unknown): value is Readonly<Record<string, unknown>> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** `connectionParams.authorization`, or the first parameter whose name is `authorization` in another letter case (`Authorization`). */
function authorizationParam(params: unknown): unknown {
  if (!isRecord(params)) return undefined;
  if (params['authorization'] !== undefined) return params['authorization'];
  for (const [name, value] of Object.entries(params)) if (value !== undefined && name.toLowerCase() === 'authorization') return value;
  return undefined;
}

/** The key of a socket: `connectionParams.authorization` (any case), else the upgrade's `Authorization` header. */
function authorizationOf(params: unknown, headers: WsExtra['request']['headers']): unknown {
  return authorizationParam(params) ?? headers['authorization'];
}

/** A subscribe message's document: its text, or a trusted one named by `documentId` / Apollo's hash in its extensions. */
function namedDocument(payload: SubscribePayload) {
  const extensions = isRecord(payload.extensions) ? payload.extensions : undefined;
  const persisted = extensions?.['persistedQuery'];
  const hash = isRecord(persisted) && typeof persisted['sha256Hash'] === 'string' ? persisted['sha256Hash'] : undefined;
  const documentId = typeof extensions?.['documentId'] === 'string' ? extensions['documentId'] : undefined;
  return { query: payload.query === '' ? undefined : payload.query, documentId, sha256Hash: hash };
}

export function withWsAccess(options: WsOptions, access: AccessControl): WsOptions {
  if (!access.active) return options;
  const sockets = new WeakMap<object, SocketAccess>();

  const end = (state: SocketAccess | undefined) => {
    if (state === undefined) return;
    state.expiry?.clear();
    for (const release of state.operations.values()) release();
    state.operations.clear();
    state.release();
    access.log('connection closed', state.fields);
  };

  return {
    ...options,
    onConnect: async (ctx) => {
      if (!access.enabled) return options.onConnect?.(ctx);
      const { socket, request } = ctx.extra;
      const outcome = await access.authenticate(authorizationOf(ctx.connectionParams, request.headers), {
        transport: 'ws',
        address: request.address,
      });
      if (!outcome.ok) {
        socket.close(CLOSE_CODES.FORBIDDEN, CLOSE_REASONS[outcome.reason]);
        return false;
      }
      const { principal } = outcome;
      const fields = { transport: 'ws', address: request.address, client: principal.id };
      const admitted = access.openConnection(principal, (reason) => socket.close(CLOSE_CODES.FORBIDDEN, reason), fields);
      if (!admitted.ok) {
        socket.close(CLOSE_CODES.TRY_AGAIN_LATER, closeReason(admitted.message));
        return false;
      }
      // Envelop's context carries the socket's `connectionParams` object: the principal is found by it.
      if (ctx.connectionParams === undefined) Object.assign(ctx, { connectionParams: {} });
      if (ctx.connectionParams !== undefined) access.bindConnectionParams(ctx.connectionParams, principal);
      const expiry =
        principal.expiresAt === undefined
          ? undefined
          : atDeadline(principal.expiresAt, () => socket.close(CLOSE_CODES.FORBIDDEN, TOKEN_EXPIRED));
      sockets.set(socket, { principal, release: admitted.release, operations: new Map(), expiry, fields });
      access.log('connection opened', fields);
      return options.onConnect?.(ctx);
    },
    onSubscribe: async (ctx, id, payload) => {
      const state = sockets.get(ctx.extra.socket);
      // The key as it stands now: a scope taken away since the socket opened is refused here too.
      const principal = access.enabled ? (state === undefined ? undefined : access.current(state.principal)) : ANONYMOUS;
      if (principal === undefined) return options.onSubscribe?.(ctx, id, payload);
      const checked = access.checkDocument(namedDocument(payload), payload.operationName, principal);
      if (!checked.ok) return [checked.error];
      const resolved: SubscribePayload =
        checked.query === payload.query || checked.query === undefined ? payload : { ...payload, query: checked.query };
      if (state === undefined) return options.onSubscribe?.(ctx, id, resolved);
      const subscription = access.openSubscription(principal, { ...state.fields, operation: id });
      if (!subscription.ok) return [limitExceededError(subscription.message)];
      let result: Awaited<ReturnType<NonNullable<WsOptions['onSubscribe']>>>;
      try {
        result = await options.onSubscribe?.(ctx, id, resolved);
      } catch (error) {
        subscription.release();
        throw error;
      }
      if (Array.isArray(result)) {
        subscription.release();
        return result as readonly GraphQLError[];
      }
      state.operations.get(id)?.();
      state.operations.set(id, subscription.release);
      access.log('subscription started', { ...state.fields, operation: id });
      return result;
    },
    onComplete: async (ctx, id, payload) => {
      const state = sockets.get(ctx.extra.socket);
      const release = state?.operations.get(id);
      if (state !== undefined && release !== undefined) {
        state.operations.delete(id);
        release();
        access.log('subscription ended', { ...state.fields, operation: id });
      }
      return options.onComplete?.(ctx, id, payload);
    },
    onClose: async (ctx, code, reason) => {
      end(sockets.get(ctx.extra.socket));
      sockets.delete(ctx.extra.socket);
      return options.onClose?.(ctx, code, reason);
    },
  };
}
