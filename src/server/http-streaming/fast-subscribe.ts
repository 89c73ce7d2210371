/**
 * The fast path of HTTP subscriptions (issue 20): an SSE or multipart
 * subscription identical to one already running (same document text,
 * operation, variables and credential: the fan-out's group key) joins that
 * group at the Node `http` level, without yoga's Fetch pipeline (no Fetch
 * Request/Response, no envelop run, no stream pipe per request). Its document
 * was parsed, validated, cost-checked and admitted by the group's first
 * subscriber, which went through yoga; the schema does not change, so the
 * same text passes the same way. Per request this path still takes the
 * connection caps (`admitLongLived`, a 503 as `stream-admission.ts` answers
 * it), the client log line and the live-subscriptions metric with its
 * transport label, a browser's CORS headers (`cors.ts`, as yoga adds them),
 * and writes the headers and the group's bytes straight to the response
 * (`direct-sink.ts`).
 *
 * Everything else goes to yoga (`fallback`), unchanged: other paths and
 * methods, an `Accept`
 * that names no stream or also HTML (GraphiQL), parameters beyond the plain
 * ones, a credential (private channels), the first subscriber of a group,
 * a group that ended meanwhile. It is only installed without access checks
 * (GATEWAY_AUTH, trusted documents, INTROSPECTION): those stay with yoga.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ExecutionArgs, GraphQLSchema } from 'graphql';
import { credentialFromHeaders } from '../context.ts';
import { summarize, type ClientLog } from '../client-log.ts';
import { clientAddress } from '../gates/client-address.ts';
import { refusalBody, type ConnectionGate } from '../gates/connection-gate.ts';
import { corsResponseHeaders, type CorsOrigins } from '../cors.ts';
import { admitLongLived, type ProxiedClients } from '../gates/request-gate.ts';
import { MemberState } from '../fanout/fanout-member.ts';
import type { Fanout, FanoutResult } from '../fanout/fanout-types.ts';
import { shareKey } from '../fanout/share.ts';
import type { GatewayMetrics } from '../metrics/metrics.ts';
import { rootFieldOf, UNKNOWN_FIELD } from '../root-field.ts';
import { GRAPHQL_PATH } from '../routes.ts';
import { DirectHttpSink } from './direct-sink.ts';
import { Heartbeats, HTTP_TRANSPORTS, SSE_PING_MS, type HttpKind } from './http-sink.ts';
import { paramsFromBody, paramsFromUrl, readableBody, readBody, type FastParams } from './request-params.ts';
import { httpKindOf } from './shared-http.ts';

export interface FastSubscribeSetup {
  readonly schema: GraphQLSchema;
  readonly fanout: Fanout;
  readonly gate: ConnectionGate;
  readonly proxied: ProxiedClients | undefined;
  readonly multipartHeartbeatMs: number;
  readonly ssePingMs?: number;
  readonly metrics?: GatewayMetrics;
  readonly clientLog?: ClientLog;
  /** CORS_ORIGINS: a browser's cross-origin request gets the headers yoga's CORS would add. */
  readonly corsOrigins: CorsOrigins;
}

/** Serves a request on the fast path, or hands it to `fallback` (yoga) untouched (a POST's body kept on the request). */
export type FastSubscribe = (req: IncomingMessage, res: ServerResponse, fallback: () => void) => void;

/** Counters of the fast path (tests and the bench read them). */
export interface FastSubscribeStats {
  /** Subscriptions that joined a group on the fast path. */
  joined: number;
}

/** A header as Fetch's `Headers.get` reads it (repeated values joined). */
const headerGetter = (req: IncomingMessage) => ({
  get(name: string): string | null {
    const value = req.headers[name.toLowerCase()];
    return value === undefined ? null : Array.isArray(value) ? value.join(', ') : value;
  },
});

/** Never executes: a joiner whose group ended before it was attached goes to yoga instead. */
const NOT_JOINED: FanoutResult = { data: null };

/** Whether the request could be a plain streaming subscription (before its parameters are read). */
function candidateKind(req: IncomingMessage): HttpKind | undefined {
  if (req.method !== 'GET' && req.method !== 'POST') return undefined;
  const url = req.url ?? '/';
  const at = url.indexOf('?');
  if ((at < 0 ? url : url.slice(0, at)) !== GRAPHQL_PATH) return undefined;
  const accept = req.headers.accept ?? null;
  if (accept === null || /text\/html/i.test(accept)) return undefined;
  return httpKindOf(accept);
}

export function createFastSubscribe(setup: FastSubscribeSetup): { readonly handle: FastSubscribe; readonly stats: FastSubscribeStats } {
  const { fanout, gate, proxied, metrics, clientLog } = setup;
  const stats: FastSubscribeStats = { joined: 0 };
  const corsHeaders = corsResponseHeaders(setup.corsOrigins);
  const heartbeats: Record<HttpKind, Heartbeats> = {
    sse: new Heartbeats(setup.ssePingMs ?? SSE_PING_MS),
    multipart: new Heartbeats(setup.multipartHeartbeatMs),
  };

  /** Joins the running group of `params`, or returns false (nothing written, nothing held). */
  const join = async (req: IncomingMessage, res: ServerResponse, kind: HttpKind, params: FastParams): Promise<boolean> => {
    const credential = credentialFromHeaders(headerGetter(req));
    if (credential.credential !== undefined || credential.problem !== undefined) return false;
    const key = shareKey(params, credential);
    const live = key === undefined ? undefined : fanout.live(key);
    if (key === undefined || live === undefined || res.destroyed) return false;
    const sink = new DirectHttpSink(kind, res, heartbeats[kind]);
    const args: ExecutionArgs = {
      schema: setup.schema,
      document: live.document,
      operationName: live.operationName,
      variableValues: params.variables ?? null,
      contextValue: null,
      rootValue: undefined,
    };
    // `live` was found this tick, so `subscribe` joins it (it never starts a group from here).
    const member = await fanout.subscribe(args, key, live.delivery, { sink, framing: HTTP_TRANSPORTS[kind].framing }, () => NOT_JOINED);
    if (!(member instanceof MemberState)) return false;
    const cors = corsHeaders(req.headers.origin);
    const admitted = admitLongLived(gate, req, proxied, kind);
    if (!admitted.admitted) {
      void member.return();
      // As `stream-admission.ts` answers it through yoga (whose CORS headers it gets).
      res.writeHead(503, { 'content-type': 'application/json', connection: 'close', ...cors }).end(refusalBody(admitted.message));
      return true;
    }
    stats.joined++;
    const field = rootFieldOf(live) ?? UNKNOWN_FIELD;
    const counted = metrics?.subscriptionOpened(field, kind);
    const release = gate.hold();
    let closed = false;
    res.once('close', () => {
      if (closed) return;
      closed = true;
      release();
      admitted.perAddress?.();
      if (counted !== undefined) metrics?.subscriptionClosed(counted);
      void member.return();
    });
    clientLog?.operation(kind, clientAddress(req), summarize(live.document, live.operationName));
    sink.start(cors);
    // Settles once the member is finished (its group ended, or it was too slow): then the body ends.
    void member.next().then(() => sink.finish());
    return true;
  };

  const handle: FastSubscribe = (req, res, fallback) => {
    const kind = candidateKind(req);
    if (kind === undefined) return fallback();
    if (req.method === 'GET') {
      const params = paramsFromUrl(req.url ?? '');
      if (params === undefined) return fallback();
      void join(req, res, kind, params).then((served) => served || fallback(), fallback);
      return;
    }
    if (!readableBody(req)) return fallback();
    void readBody(req).then((body) => {
      const params = body === undefined ? undefined : paramsFromBody(body);
      if (params === undefined) return fallback();
      return join(req, res, kind, params).then((served) => served || fallback());
    }, fallback);
  };
  return { handle, stats };
}
