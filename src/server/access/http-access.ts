/**
 * The access check on HTTP, as one yoga plugin: plain requests, SSE and
 * Apollo's multipart subscriptions all present `Authorization: Bearer <key>`.
 * Without a valid one: 401 with a GraphQL-shaped `UNAUTHENTICATED` body,
 * before anything is parsed. Then, with the request's parameters: a trusted
 * document named by `documentId` or Apollo's `sha256Hash` is put in place of
 * the query (anything else refused unless the key has `any-document`),
 * introspection and a subscription's scope are checked, and a streaming
 * subscription counts as one connection and one subscription of its key
 * until its response closes (a revoked key or an expired token cuts it).
 * GraphiQL's page (a GET for HTML) is served without a key, unless GRAPHIQL=off.
 */
import { IncomingMessage, ServerResponse } from 'node:http';
import type { Plugin } from 'graphql-yoga';
import { ANONYMOUS, type Principal } from '../../auth/principal.ts';
import { limitExceededError } from '../../lib/errors.ts';
import { clientAddress } from '../gates/client-address.ts';
import { mayStream } from '../gates/request-gate.ts';
import { GRAPHQL_PATH } from '../routes.ts';
import { recordContextAccess } from './access-context.ts';
import type { AccessControl } from './access-control.ts';

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

export function useHttpAccess(access: AccessControl): Plugin {
  const byRequest = new WeakMap<Request, Principal>();
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
      if (!checked.ok) return setResult({ errors: [checked.error] });
      if ((documentId !== undefined || checked.query !== params.query) && checked.query !== undefined) {
        // yoga refuses parameters it does not know: `documentId` goes once it has named the query.
        const { documentId: _id, ...rest } = params as typeof params & { readonly documentId?: unknown };
        setParams({ ...rest, query: checked.query });
      }
      if (!access.enabled) return;
      const req: unknown = Reflect.get(context, 'req');
      const res: unknown = Reflect.get(context, 'res');
      if (!(req instanceof IncomingMessage) || !(res instanceof ServerResponse)) return;
      if (!mayStream(req) || !access.isSubscription(checked.query, params.operationName)) return;
      const refusal = holdStream(access, principal, req, res);
      if (refusal !== undefined) setResult({ errors: [limitExceededError(refusal)] });
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

/** Counts a streaming subscription as a connection and a subscription of its key until the response closes; the refusal's message otherwise. */
function holdStream(access: AccessControl, principal: Principal, req: IncomingMessage, res: ServerResponse): string | undefined {
  const transport = /multipart\/(mixed|\*)/i.test(req.headers.accept ?? '') ? 'multipart' : 'sse';
  const connection = access.registry.openConnection(principal, () => res.destroy());
  if (!connection.ok) return connection.message;
  const subscription = access.registry.openSubscription(principal);
  if (!subscription.ok) {
    connection.release();
    return subscription.message;
  }
  const fields = { transport, address: clientAddress(req), client: principal.id };
  access.log('connection opened', fields);
  const expiry =
    principal.expiresAt === undefined ? undefined : setTimeout(() => res.destroy(), Math.max(0, principal.expiresAt - Date.now()));
  expiry?.unref();
  res.once('close', () => {
    clearTimeout(expiry);
    subscription.release();
    connection.release();
    access.log('connection closed', fields);
  });
  return undefined;
}
