/**
 * SSE and multipart subscriptions on the shared path, as a yoga plugin: an
 * HTTP subscription that may share (a field with a delivery policy, a usable
 * credential, shareable variables) joins the fan-out's group for its
 * document, variables and credential like a graphql-ws one does, with the
 * response as its byte sink (`http-sink.ts`). The request has gone through
 * every envelop plugin, guard, credential header and the connection gate
 * (`request-gate.ts`) as before; what changes is that the group executes
 * once for every member, whatever its transport, and writes each result's
 * shared bytes to the response, instead of one execution and one
 * serialization per subscriber. The result processor it picks (after yoga's
 * and the multipart plugin's choice) answers with the sink as the body.
 * Anything else (queries, refusals, unshareable subscriptions, a group that
 * ended meanwhile) keeps yoga's own path.
 */
import type { ExecutionArgs, ExecutionResult } from 'graphql';
import { ServerResponse } from 'node:http';
import type { Plugin } from 'graphql-yoga';
import { credentialFromHeaders } from '../context.ts';
import { MemberState } from '../fanout/fanout-member.ts';
import type { Fanout, FanoutResult } from '../fanout/fanout-types.ts';
import { deliveryOf, resumesFromCursor, shareKey } from '../fanout/share.ts';
import { resultJson } from '../result-json.ts';
import { rootFieldOf } from '../root-field.ts';
import { acceptsMultipartSubscriptions } from './multipart.ts';
import { Heartbeats, HTTP_TRANSPORTS, HttpSink, SSE_PING_MS, type HttpKind } from './http-sink.ts';

export interface SharedHttpOptions {
  readonly fanout: Fanout;
  /** The multipart heartbeat period (MULTIPART_HEARTBEAT_MS unless a test shortens it). */
  readonly multipartHeartbeatMs: number;
  /** The SSE ping period; default SSE_PING_MS. */
  readonly ssePingMs?: number;
}

/** What the plugin needs of an HTTP request's context. */
interface HttpRequestContext {
  /** yoga's request (the key its result processing is found by). */
  readonly request: object;
  readonly headers: Pick<Headers, 'get'>;
  readonly res: ServerResponse;
  readonly params: {
    readonly query: string;
    readonly operationName: string | undefined;
    readonly variables: Readonly<Record<string, unknown>> | undefined;
  };
}

const isRecord = (value: unknown): value is Readonly<Record<string, unknown>> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
/** yoga's Fetch API may be a ponyfill: its `Headers` is not the global class, so only the method is checked. */
const isHeaderReader = (value: unknown): value is Pick<Headers, 'get'> => isRecord(value) && typeof value['get'] === 'function';

/** The request, response and GraphQL params of an HTTP operation's context; undefined on graphql-ws (or anything else). */
function httpContextOf(context: unknown): HttpRequestContext | undefined {
  if (!isRecord(context) || 'connectionParams' in context) return undefined;
  const { request, res, params } = context;
  if (!(res instanceof ServerResponse) || !isRecord(request)) return undefined;
  const headers = request['headers'];
  if (!isHeaderReader(headers)) return undefined;
  if (!isRecord(params) || typeof params['query'] !== 'string') return undefined;
  const { query, operationName, variables } = params;
  if (variables !== undefined && variables !== null && !isRecord(variables)) return undefined;
  return {
    request,
    headers,
    res,
    params: { query, operationName: typeof operationName === 'string' ? operationName : undefined, variables: variables ?? undefined },
  };
}

/** The HTTP transport an `Accept` header asks for: Apollo's multipart, SSE, or neither (yoga decides). */
export function httpKindOf(accept: string | null): HttpKind | undefined {
  if (acceptsMultipartSubscriptions(accept)) return 'multipart';
  return accept !== null && /text\/event-stream/i.test(accept) ? 'sse' : undefined;
}

type SubscribeResult = AsyncGenerator<ExecutionResult, void, void> | ExecutionResult;

/** A member's stream as graphql-js types a subscription (an async generator); every call goes to the member. */
class MemberStream implements AsyncGenerator<ExecutionResult, void, void> {
  private readonly member: AsyncIterator<ExecutionResult>;

  constructor(member: AsyncIterator<ExecutionResult>) {
    this.member = member;
  }

  async next(): Promise<IteratorResult<ExecutionResult, void>> {
    return this.member.next();
  }

  async return(): Promise<IteratorResult<ExecutionResult, void>> {
    await this.member.return?.();
    return { value: undefined, done: true };
  }

  async throw(): Promise<IteratorResult<ExecutionResult, void>> {
    return this.return();
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.return();
  }
}

const isAsyncIterable = (value: unknown): value is AsyncIterable<ExecutionResult> => isRecord(value) && Symbol.asyncIterator in value;

/** The fan-out's answer as `subscribe` types it. */
const asSubscribeResult = (result: FanoutResult): SubscribeResult =>
  isAsyncIterable(result) ? new MemberStream(result[Symbol.asyncIterator]()) : result;

export function useSharedHttpSubscriptions({ fanout, multipartHeartbeatMs, ssePingMs }: SharedHttpOptions): Plugin {
  // The requests whose subscription joined a group, with their sink, until the result processor takes them.
  const joined = new WeakMap<object, HttpSink>();
  const heartbeats: Record<HttpKind, Heartbeats> = {
    sse: new Heartbeats(ssePingMs ?? SSE_PING_MS),
    multipart: new Heartbeats(multipartHeartbeatMs),
  };
  return {
    onSubscribe({ args, subscribeFn, setSubscribeFn }) {
      const http = httpContextOf(args.contextValue);
      const kind = http === undefined ? undefined : httpKindOf(http.headers.get('accept'));
      if (http === undefined || kind === undefined) return;
      const key = shareKey(http.params, credentialFromHeaders(http.headers));
      const delivery = key === undefined || resumesFromCursor(args) ? undefined : deliveryOf(args.schema, rootFieldOf(args));
      if (key === undefined || delivery === undefined) return;
      setSubscribeFn(async (subscribeArgs: ExecutionArgs) => {
        const sink = new HttpSink(kind, http.res, heartbeats[kind]);
        const result = await fanout.subscribe(subscribeArgs, key, delivery, { sink, framing: HTTP_TRANSPORTS[kind].framing }, subscribeFn);
        if (!(result instanceof MemberState)) return asSubscribeResult(result);
        // The client may be gone already, or go before the response is sent: the member leaves with it.
        const leave = () => {
          void result.return();
          sink.destroy();
        };
        if (http.res.destroyed) leave();
        else http.res.once('close', leave);
        joined.set(http.request, sink);
        return new MemberStream(result);
      });
    },
    onResultProcess({ request, result, setResultProcessor }) {
      const sink = joined.get(request);
      if (sink === undefined || !isAsyncIterable(result)) return;
      joined.delete(request);
      const transport = HTTP_TRANSPORTS[sink.kind];
      setResultProcessor((processed, fetchAPI) => {
        // Yields nothing (the group writes to the sink) and ends when the member does: then the body ends. A
        // stream the gateway ends (a revoked key) yields its last word first: it goes out, then the end.
        if (isAsyncIterable(processed)) {
          const iterator = processed[Symbol.asyncIterator]();
          const finish = () => sink.finish();
          iterator.next().then((step) => {
            if (step.done !== true) {
              sink.write(transport.framing.head + resultJson(step.value) + transport.framing.tail);
              // The stream's wrappers end with it (its count in the metrics).
              void Promise.resolve(iterator.return?.()).catch(() => undefined);
            }
            finish();
          }, finish);
        }
        sink.keepAlive();
        // yoga's Fetch API on Node takes a Node `Readable` as a body, and its server adapter pipes it into the response.
        // The headers are a copy: the ponyfill's `Headers` writes into its init object (CORS adds this request's).
        return new fetchAPI.Response(sink as unknown as ReadableStream, { status: 200, headers: { ...transport.headers } });
      }, transport.mediaType);
    },
  };
}
