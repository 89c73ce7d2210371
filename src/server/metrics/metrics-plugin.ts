/**
 * The envelop plugin that feeds the gateway's metrics (`metrics.ts`) from the
 * GraphQL pipeline, on every transport: refusals by error code (parse,
 * validation, execution and subscription results), and for subscriptions over
 * HTTP (SSE and multipart) their lifetime and their `next` messages.
 * graphql-ws subscriptions are counted by the graphql-ws hooks instead
 * (`ws-options.ts`): members of a shared group never execute on their own, and
 * their messages are the fanout's deliveries.
 *
 * Per message only a plain integer goes up; labels are looked up per
 * subscription at most.
 */
import type { ExecutionResult, GraphQLError } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { eventTimeOf } from '../../lib/event-time.ts';
import { acceptsMultipartSubscriptions } from '../http-streaming/multipart.ts';
import { rootFieldOf, UNKNOWN_FIELD } from '../root-field.ts';
import type { GatewayMetrics, Transport } from './metrics.ts';

const isAsyncIterable = (value: unknown): value is AsyncIterable<unknown> =>
  typeof value === 'object' && value !== null && Symbol.asyncIterator in value;

const hasConnectionParams = (context: unknown): boolean => typeof context === 'object' && context !== null && 'connectionParams' in context;

/**
 * Which HTTP transport a subscription request asked for: Apollo's multipart
 * (by the same test that chooses the multipart response, so any letter case
 * and parameter form counts as `multipart`) or (otherwise) SSE. yoga's Fetch
 * API may be a ponyfill whose `Request` is not the global class: only its
 * headers' `get` is relied on.
 */
function httpTransport(context: unknown): Transport {
  if (typeof context !== 'object' || context === null || !('request' in context)) return 'sse';
  const request: unknown = context.request;
  if (typeof request !== 'object' || request === null || !('headers' in request)) return 'sse';
  const headers: unknown = request.headers;
  if (typeof headers !== 'object' || headers === null || !('get' in headers) || typeof headers.get !== 'function') return 'sse';
  const accept: unknown = headers.get('accept');
  return typeof accept === 'string' && acceptsMultipartSubscriptions(accept) ? 'multipart' : 'sse';
}

function countErrors(metrics: GatewayMetrics, errors: readonly GraphQLError[] | undefined): void {
  if (errors === undefined) return;
  for (const error of errors) {
    const code = error.extensions['code'];
    metrics.refused(typeof code === 'string' ? code : 'OTHER');
  }
}

const errorsOf = (result: unknown): readonly GraphQLError[] | undefined =>
  typeof result === 'object' && result !== null && 'errors' in result ? (result as ExecutionResult).errors : undefined;

export function useGatewayMetrics(metrics: GatewayMetrics): Plugin {
  return {
    onParse:
      () =>
      ({ result }) => {
        if (result instanceof Error) metrics.refused('GRAPHQL_PARSE_FAILED');
      },
    onValidate:
      () =>
      ({ result }) => {
        for (const error of result) {
          const code = error.extensions['code'];
          metrics.refused(typeof code === 'string' ? code : 'GRAPHQL_VALIDATION_FAILED');
        }
      },
    onExecute: () => ({
      onExecuteDone: ({ result }) => {
        if (!isAsyncIterable(result)) countErrors(metrics, errorsOf(result));
      },
    }),
    onSubscribe: ({ args }) => ({
      onSubscribeResult: ({ result }) => {
        if (!isAsyncIterable(result)) {
          countErrors(metrics, errorsOf(result));
          return undefined;
        }
        if (hasConnectionParams(args.contextValue)) return undefined;
        const transport = httpTransport(args.contextValue);
        const field = rootFieldOf(args) ?? UNKNOWN_FIELD;
        const live = metrics.subscriptionOpened(field, transport);
        let ended = false;
        const release = () => {
          if (ended) return;
          ended = true;
          metrics.subscriptionClosed(live);
        };
        const sent = metrics.sent;
        // The frame time of the event each result was made of; yoga writes the result to the response stream next.
        const time = eventTimeOf(args.contextValue);
        const observeLatency = metrics.latencyOf(field);
        return {
          onNext: () => {
            sent[transport]++;
            const frameTs = time?.take();
            if (frameTs !== undefined) observeLatency(frameTs);
          },
          onEnd: release,
        };
      },
    }),
  };
}
