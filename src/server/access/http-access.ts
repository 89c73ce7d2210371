/**
 * The access check on HTTP, as one yoga plugin: plain requests, SSE and
 * Apollo's multipart subscriptions all present `Authorization: Bearer <key>`.
 * Without a valid one: 401 with a GraphQL-shaped `UNAUTHENTICATED` body,
 * before anything is parsed. Then, with the request's parameters: a trusted
 * document named by `documentId` or Apollo's `sha256Hash` is put in place of
 * the query (anything else refused unless the key has `any-document`),
 * introspection and a subscription's scope are checked, and a streaming
 * subscription counts as one connection and one subscription of its key
 * until its response closes (a revoked or narrowed key or an expired token
 * ends it in band: a last `UNAUTHENTICATED` event or part, then the stream's
 * end).
 * GraphiQL's page (a GET for HTML) is served without a key, unless GRAPHIQL=off.
 */
import { IncomingMessage, ServerResponse } from 'node:http';
import { isAsyncIterable, type Plugin } from 'graphql-yoga';
import { ANONYMOUS, type Principal } from '../../auth/principal.ts';
import { atDeadline } from '../../lib/deadline-timer.ts';
import { limitExceededError } from '../../lib/errors.ts';
import { clientAddress } from '../gates/client-address.ts';
import { mayStream } from '../gates/request-gate.ts';
import { GRAPHQL_PATH } from '../routes.ts';
import { recordContextAccess } from './access-context.ts';
import { TOKEN_EXPIRED, type AccessControl } from './access-control.ts';
import { EndableStream, STREAM_END_GRACE_MS, StreamEnding } from './stream-ending.ts';

const isRecord = (value: unknown): value is Readonly<Record<string, unknown>> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** yoga renders GraphiQL for a GET that accepts HTML. */
const isGraphiQLPage = (request: Request): boolean =>
  request.method === 'GET' && (request.headers.get('accept') ?? '').includes('text/html');

/** The `Authorization` challenge of a 401. */
const CHALLENGE = 'Bearer realm="coincall-gateway"';

function unauthenticatedResponse(fetchAPI: { Response: typeof Response }, message: string): Response {
  const body = JSON.stringify({ errors: [{ message, extensions: { code: 'UNAUTHENTICATED' } }] });
  return new fetchAPI.Response(body, { status: 401, headers: { 'content-type': 'application/json', 'www-authenticate': CHALLENGE } });
}

/** Apollo's `extensions.persistedQuery.sha256Hash`. */
function apolloHash(extensions: unknown): string | undefined {
  if (!isRecord(extensions)) return undefined;
  const persisted = extensions['persistedQuery'];
  return isRecord(persisted) && typeof persisted['sha256Hash'] === 'string' ? persisted['sha256Hash'] : undefined;
}

/** The query text of a refused request named by `documentId` (the refusal is its result; it never runs). */
const REFUSED_PLACEHOLDER = '{ __typename }';

function withoutDocumentId<T extends object>(params: T): Omit<T, 'documentId'> {
  const { documentId: _id, ...rest } = params as T & { readonly documentId?: unknown };
  return rest;
}

export function useHttpAccess(access: AccessControl): Plugin {
  const byRequest = new WeakMap<Request, Principal>();
  // The streaming subscriptions held for their key, until their subscription starts.
  const streams = new WeakMap<object, StreamEnding>();
  return {
    async onRequest({ request, url, endResponse, fetchAPI, serverContext }) {
      if (url.pathname !== GRAPHQL_PATH) return;
      if (isGraphiQLPage(request)) {
        if (!access.graphiql) endResponse(new fetchAPI.Response('GraphiQL is off on this gateway (GRAPHIQL=off).', { status: 404 }));
        return;
      }
      if (!access.enabled) return;
      const req: unknown = Reflect.get(serverContext, 'req');
      const address = req instanceof IncomingMessage ? clientAddress(req) : undefined;
      const outcome = await access.authenticate(request.headers.get('authorization') ?? undefined, { transport: 'http', address });
      if (!outcome.ok) return endResponse(unauthenticatedResponse(fetchAPI, outcome.message));
      byRequest.set(request, outcome.principal);
    },
    onParams({ params, request, setParams, setResult, context }) {
      if (!access.active) return;
      const principal = access.enabled ? byRequest.get(request) : ANONYMOUS;
      if (principal === undefined) return;
      const bodyId: unknown = Reflect.get(params, 'documentId');
      const documentId = typeof bodyId === 'string' ? bodyId : (new URL(request.url).searchParams.get('documentId') ?? undefined);
      const checked = access.checkDocument(
        { query: params.query, documentId, sha256Hash: apolloHash(params.extensions) },
        params.operationName,
        principal,
      );
      if (!checked.ok) {
        // yoga's parameter check runs after this plugin and refuses an unknown `documentId` parameter (400): it goes.
        if (documentId !== undefined) setParams({ ...withoutDocumentId(params), query: REFUSED_PLACEHOLDER });
        return setResult({ errors: [checked.error] });
      }
      if ((documentId !== undefined || checked.query !== params.query) && checked.query !== undefined) {
        // yoga refuses parameters it does not know: `documentId` goes once it has named the query.
        setParams({ ...withoutDocumentId(params), query: checked.query });
      }
      if (!access.enabled) return;
      const req: unknown = Reflect.get(context, 'req');
      const res: unknown = Reflect.get(context, 'res');
      if (!(req instanceof IncomingMessage) || !(res instanceof ServerResponse)) return;
      if (!mayStream(req) || !access.isSubscription(checked.query, params.operationName)) return;
      const held = holdStream(access, principal, req, res);
      if (typeof held === 'string') setResult({ errors: [limitExceededError(held)] });
      else streams.set(request, held);
    },
    onSubscribe({ args }) {
      const context: unknown = args.contextValue;
      const request: unknown = typeof context === 'object' && context !== null ? Reflect.get(context, 'request') : undefined;
      const held = typeof request === 'object' && request !== null ? streams.get(request) : undefined;
      if (held === undefined) return undefined;
      return {
        onSubscribeResult({ result, setResult }) {
          if (isAsyncIterable(result)) setResult(new EndableStream(result[Symbol.asyncIterator](), held));
        },
      };
    },
    onContextBuilding({ context }) {
      if (!access.enabled) return;
      const request: unknown = Reflect.get(context, 'request');
      const principal =
        (request instanceof Object ? byRequest.get(request as Request) : undefined) ??
        access.principalOfParams(Reflect.get(context, 'connectionParams'));
      if (principal !== undefined) recordContextAccess(context, { principal, refusedScope: () => access.refused('scope') });
    },
  };
}

/**
 * Counts a streaming subscription as a connection and a subscription of its
 * key until the response closes; the refusal's message otherwise. A revoked
 * or narrowed key or an expired token ends it in band (`stream-ending.ts`), and cuts the
 * response if it has not closed STREAM_END_GRACE_MS later.
 */
function holdStream(access: AccessControl, principal: Principal, req: IncomingMessage, res: ServerResponse): StreamEnding | string {
  const transport = /multipart\/(mixed|\*)/i.test(req.headers.accept ?? '') ? 'multipart' : 'sse';
  const fields = { transport, address: clientAddress(req), client: principal.id };
  const ending = new StreamEnding();
  let grace: NodeJS.Timeout | undefined;
  const end = (reason: string) => {
    if (ending.ended || res.destroyed) return;
    access.log('connection ending', { ...fields, reason });
    ending.end(reason);
    grace = setTimeout(() => res.destroy(), STREAM_END_GRACE_MS);
    grace.unref();
  };
  const connection = access.openConnection(principal, end, fields);
  if (!connection.ok) return connection.message;
  const subscription = access.openSubscription(principal, fields);
  if (!subscription.ok) {
    connection.release();
    return subscription.message;
  }
  access.log('connection opened', fields);
  const expiry = principal.expiresAt === undefined ? undefined : atDeadline(principal.expiresAt, () => end(TOKEN_EXPIRED));
  res.once('close', () => {
    expiry?.clear();
    clearTimeout(grace);
    subscription.release();
    connection.release();
    access.log('connection closed', fields);
  });
  return ending;
}
