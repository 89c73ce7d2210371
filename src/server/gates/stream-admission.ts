/**
 * The connection cap (MAX_CONNECTIONS, and behind a trusted proxy the
 * forwarded address's cap) for HTTP streams, applied to what actually
 * streams: a subscription operation whose `Accept` lets yoga stream it (SSE
 * or Apollo's multipart). A query or mutation, whatever its `Accept`
 * (curl's `*` + `/*` included), is answered and gone: it is never counted nor
 * refused. The check runs once the request's parameters are parsed, before any
 * GraphQL work; a refusal is a 503 with a GraphQL-shaped JSON body. An admitted
 * stream holds its counts until its response closes.
 */
import { IncomingMessage, ServerResponse } from 'node:http';
import { getOperationAST, parse } from 'graphql';
import type { GraphQLParams, Plugin } from 'graphql-yoga';
import { refusalBody, type ConnectionGate } from './connection-gate.ts';
import { admitLongLived, mayStream, type ProxiedClients } from './request-gate.ts';

export interface StreamAdmission {
  readonly gate: ConnectionGate;
  readonly proxied: ProxiedClients | undefined;
  /** The token limit (MAX_TOKENS): the operation type is read without parsing more than yoga would. */
  readonly maxTokens: number;
}

/** Whether a document's chosen operation is a subscription; a document that does not parse is not (yoga reports it). */
function isSubscription(params: GraphQLParams, maxTokens: number): boolean {
  if (typeof params.query !== 'string') return false;
  try {
    return (
      getOperationAST(parse(params.query, { noLocation: true, maxTokens }), params.operationName ?? undefined)?.operation === 'subscription'
    );
  } catch {
    return false;
  }
}

/** Whether yoga will answer these parameters with a stream. */
export function willStream(req: IncomingMessage, params: GraphQLParams | readonly GraphQLParams[], maxTokens: number): boolean {
  if (!mayStream(req)) return false;
  const list: readonly GraphQLParams[] = Array.isArray(params) ? params : [params];
  return list.some((one) => isSubscription(one, maxTokens));
}

/** yoga's request parser, wrapped: a streaming request passes the connection caps or gets a 503. */
export function useStreamAdmission(admission: StreamAdmission): Plugin {
  const { gate, proxied, maxTokens } = admission;
  return {
    onRequestParse({ requestParser, setRequestParser, serverContext }) {
      // Node's request and response, as the node adapter passes them (absent when yoga is called through `fetch`).
      const req: unknown = Reflect.get(serverContext, 'req');
      const res: unknown = Reflect.get(serverContext, 'res');
      if (requestParser === undefined || !(req instanceof IncomingMessage) || !(res instanceof ServerResponse)) return;
      setRequestParser(async (request) => {
        const params = await requestParser(request);
        if (params instanceof Response || !willStream(req, params, maxTokens)) return params;
        const admitted = admitLongLived(gate, req, proxied, /multipart\/(mixed|\*)/i.test(req.headers.accept ?? '') ? 'multipart' : 'sse');
        if (!admitted.admitted)
          return new Response(refusalBody(admitted.message), {
            status: 503,
            headers: { 'content-type': 'application/json', connection: 'close' },
          });
        res.once('close', gate.hold());
        if (admitted.perAddress !== undefined) res.once('close', admitted.perAddress);
        return params;
      });
    },
  };
}
