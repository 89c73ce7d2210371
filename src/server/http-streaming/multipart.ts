/**
 * Apollo's multipart HTTP subscriptions, as a yoga plugin: Apollo Client's
 * default `HttpLink` sends a subscription as `POST /graphql` with
 * `Accept: multipart/mixed;boundary="graphql";subscriptionSpec=1.0,...`, and
 * yoga 5 alone answers 406 (its own multipart is for `@defer`). This plugin
 * picks the result processor for that `Accept` after yoga's own choice, so
 * the request has gone through the same envelop plugins, guards, credential
 * headers, connection counting (`request-gate.ts`) and execution as SSE.
 *
 * The framing (Apollo's protocol): the response is
 * `content-type: multipart/mixed;boundary="graphql";subscriptionSpec="1.0"`;
 * each part is `\r\n--graphql\r\ncontent-type: application/json; charset=utf-8\r\n\r\n`
 * followed by `{"payload":<result>}`, or `{}` for a heartbeat every 5 s; the
 * end is `\r\n--graphql--\r\n`. Each part is written together with the
 * delimiter that ends it, so a client parses a part as soon as it arrives. A
 * refused subscription (validation, arguments) is one `{"payload":{"errors":
 * [...]}}` part; a failure of the stream itself is a transport-level part
 * `{"payload":null,"errors":[...]}`, then the end. Queries with this `Accept`
 * keep yoga's answer (JSON, or yoga's multipart when JSON is not accepted).
 */
import { GraphQLError, getOperationAST, type DocumentNode, type ExecutionResult } from 'graphql';
import { isAsyncIterable, type Plugin } from 'graphql-yoga';
import { INTERNAL_ERROR_CODE } from '../../lib/errors.ts';
import type { Logger } from '../../lib/logger.ts';
import { resultJson } from '../result-json.ts';

/** Apollo's heartbeat period: a `{}` part keeps proxies and the client's idle timers from closing the stream. */
export const MULTIPART_HEARTBEAT_MS = 5_000;
export const MULTIPART_CONTENT_TYPE = 'multipart/mixed;boundary="graphql";subscriptionSpec="1.0"';

/** The boundary line that opens the body and ends each part. */
export const DELIMITER = '\r\n--graphql';
/** What opens each part, before its JSON. */
export const PART_HEADERS = '\r\ncontent-type: application/json; charset=utf-8\r\n\r\n';
/** What closes the body, after the last part's delimiter. */
export const END = '--\r\n';
export const HEARTBEAT = '{}';

/**
 * Whether an `Accept` header asks for Apollo's multipart subscriptions: an
 * entry `multipart/mixed` with the parameter `subscriptionSpec` equal to 1.0,
 * in any letter case, parameter order and quoting, with or without `boundary`.
 */
export function acceptsMultipartSubscriptions(accept: string | null | undefined): boolean {
  if (accept === null || accept === undefined) return false;
  return accept.split(',').some((entry) => {
    const [type = '', ...params] = entry.split(';').map((part) => part.trim().toLowerCase());
    return (
      type === 'multipart/mixed' &&
      params.some((param) => {
        const [name = '', value = ''] = param.split('=').map((part) => part.trim());
        return name === 'subscriptionspec' && value.replace(/^"(.*)"$/, '$1') === '1.0';
      })
    );
  });
}

/** One part: its headers, its JSON and the delimiter that ends it. */
export const part = (json: string) => `${PART_HEADERS}${json}${DELIMITER}`;

/** The transport-level error part: the stream failed, not the operation. */
function transportErrorPart(error: unknown): string {
  const known = error instanceof GraphQLError && error.extensions['code'] !== undefined;
  const message = known ? error.message : 'Unexpected error.';
  const extensions = known ? { code: error.extensions['code'] } : { code: INTERNAL_ERROR_CODE };
  return part(JSON.stringify({ payload: null, errors: [{ message, extensions }] }));
}

type Results = AsyncIterable<ExecutionResult> | ExecutionResult;

async function* single(result: ExecutionResult): AsyncGenerator<ExecutionResult> {
  yield result;
}

interface FetchParts {
  readonly Response: typeof Response;
  readonly ReadableStream: typeof ReadableStream;
  readonly TextEncoder: typeof TextEncoder;
}

/** The multipart response streaming `results` (one part for a single result). */
export function multipartResponse(results: Results, fetchAPI: FetchParts, heartbeatMs: number, logger: Logger): Response {
  const encoder = new fetchAPI.TextEncoder();
  const iterator: AsyncIterator<ExecutionResult> = (isAsyncIterable(results) ? results : single(results))[Symbol.asyncIterator]();
  let heartbeat: NodeJS.Timeout | undefined;
  let ended = false;
  const stream = new fetchAPI.ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(encoder.encode(DELIMITER));
      heartbeat = setInterval(() => {
        if (!ended && controller.desiredSize !== null && controller.desiredSize > 0) controller.enqueue(encoder.encode(part(HEARTBEAT)));
      }, heartbeatMs);
    },
    async pull(controller) {
      const finish = (last: string) => {
        ended = true;
        clearInterval(heartbeat);
        controller.enqueue(encoder.encode(last + END));
        controller.close();
      };
      let step: IteratorResult<ExecutionResult>;
      try {
        step = await iterator.next();
      } catch (error) {
        if (!(error instanceof GraphQLError))
          logger.error(
            { err: error instanceof Error ? { message: error.message, stack: error.stack } : String(error) },
            'multipart stream failed',
          );
        return finish(transportErrorPart(error));
      }
      if (ended) return;
      if (step.done === true) return finish('');
      controller.enqueue(encoder.encode(part(`{"payload":${resultJson(step.value)}}`)));
    },
    async cancel() {
      ended = true;
      clearInterval(heartbeat);
      await iterator.return?.();
    },
  });
  return new fetchAPI.Response(stream, {
    status: 200,
    headers: { 'content-type': MULTIPART_CONTENT_TYPE, 'cache-control': 'no-cache', connection: 'keep-alive' },
  });
}

const isSubscription = (document: DocumentNode, operationName: string | undefined): boolean =>
  getOperationAST(document, operationName)?.operation === 'subscription';

export interface MultipartOptions {
  readonly heartbeatMs: number;
  readonly logger: Logger;
}

/** The plugin: Apollo's multipart answer for a subscription (streaming, or refused) asked for with `subscriptionSpec`. */
export function useMultipartSubscriptions({ heartbeatMs, logger }: MultipartOptions): Plugin {
  // Requests whose document is a subscription, known at parse time (a refused one never reaches execution).
  const subscriptions = new WeakSet<object>();
  return {
    onParse({ context }) {
      return ({ result }) => {
        // On graphql-ws the context carries a Request view of the upgrade: harmless here, never a multipart answer.
        if (result instanceof Error || result === null || typeof result !== 'object' || !('kind' in result)) return;
        if (isSubscription(result, context.params?.operationName ?? undefined)) subscriptions.add(context.request);
      };
    },
    onResultProcess({ request, result, setResultProcessor }) {
      if (Array.isArray(result) || !acceptsMultipartSubscriptions(request.headers.get('accept'))) return;
      if (!isAsyncIterable(result) && !subscriptions.has(request)) return;
      setResultProcessor((processed, fetchAPI) => {
        if (Array.isArray(processed)) throw new Error('a batch is never a subscription');
        return multipartResponse(processed, fetchAPI, heartbeatMs, logger);
      }, 'multipart/mixed');
    },
  };
}
