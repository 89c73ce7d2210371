/**
 * The client log, at `debug`: who connects (graphql-ws sockets), what they
 * run (a subscription or query: its transport, the client's address, the
 * operation's name and root fields) and what is refused (the gates' 503s,
 * GraphQL errors by code). What a line may hold is fixed here: a transport,
 * an address, names from the document, codes. Never a variable, a header, a
 * connection parameter, a key or a secret.
 *
 * `useClientLog` is the envelop plugin for HTTP operations (a query, an SSE
 * or multipart subscription); graphql-ws's hooks (`ws-options.ts`) and the
 * gates call the log directly.
 */
import { IncomingMessage } from 'node:http';
import { Kind, type DocumentNode, type GraphQLError, type OperationDefinitionNode } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { Logger } from '../lib/logger.ts';
import { clientAddress } from './gates/client-address.ts';

/** How a client reached the gateway: `http` is a plain (non-streamed) request, `tcp` a socket refused before its request. */
export type ClientTransport = 'ws' | 'sse' | 'multipart' | 'http' | 'tcp';

/** Root fields named in one line, at most (a document may select many). */
const MAX_LOGGED_FIELDS = 5;
/** Longest operation name logged (a client chooses it). */
const MAX_OPERATION_NAME = 100;

/** What the log says of an operation: its kind, name and root fields. */
export interface OperationSummary {
  readonly kind: string | undefined;
  readonly operation: string | undefined;
  readonly fields: readonly string[];
}

export interface ClientLog {
  connected(transport: ClientTransport, address: string | undefined): void;
  disconnected(transport: ClientTransport, address: string | undefined, code: number): void;
  /** An operation accepted (a subscription started, a query run). */
  operation(transport: ClientTransport, address: string | undefined, summary: OperationSummary): void;
  /** A refusal, by its code(s), with what is known of the operation. */
  refused(transport: ClientTransport, address: string | undefined, codes: readonly string[], summary?: OperationSummary): void;
}

export function createClientLog(logger: Logger): ClientLog {
  const of = (summary: OperationSummary | undefined) =>
    summary === undefined ? {} : { kind: summary.kind, operation: summary.operation, fields: summary.fields };
  return {
    connected: (transport, address) => logger.debug({ transport, address }, 'client connected'),
    disconnected: (transport, address, code) => logger.debug({ transport, address, code }, 'client disconnected'),
    operation: (transport, address, summary) =>
      logger.debug({ transport, address, ...of(summary) }, summary.kind === 'subscription' ? 'client subscribed' : 'client operation'),
    refused: (transport, address, codes, summary) => logger.debug({ transport, address, codes, ...of(summary) }, 'client refused'),
  };
}

/** The operation `operationName` picks in `document` (the only one when unnamed), summarized. */
export function summarize(document: DocumentNode | undefined, operationName: string | null | undefined): OperationSummary {
  const chosen = document?.definitions.find(
    (d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION && (operationName == null || d.name?.value === operationName),
  );
  const fields = (chosen?.selectionSet.selections ?? [])
    .flatMap((s) => (s.kind === Kind.FIELD ? [s.name.value] : []))
    .slice(0, MAX_LOGGED_FIELDS);
  const name = chosen?.name?.value ?? operationName ?? undefined;
  return { kind: chosen?.operation, operation: name?.slice(0, MAX_OPERATION_NAME), fields };
}

/** What is known of an operation before its document is read: the name its client gave. */
export const namedOnly = (operationName: string | null | undefined): OperationSummary => ({
  kind: undefined,
  operation: operationName?.slice(0, MAX_OPERATION_NAME) ?? undefined,
  fields: [],
});

/** The codes of GraphQL errors (`extensions.code`, or `fallback`). */
export const codesOf = (errors: readonly (Error | GraphQLError)[], fallback: string): string[] =>
  errors.map((error) => {
    const code = 'extensions' in error ? error.extensions['code'] : undefined;
    return typeof code === 'string' ? code : fallback;
  });

/** Reads a property of an unknown object. */
const field = (value: unknown, name: string): unknown =>
  typeof value === 'object' && value !== null && name in value ? (value as Record<string, unknown>)[name] : undefined;

/** The transport and address of an HTTP request's context; undefined for graphql-ws (its hooks log it). */
function httpClient(context: unknown): { transport: ClientTransport; address: string | undefined } | undefined {
  if (field(context, 'connectionParams') !== undefined) return undefined;
  const req = field(context, 'req');
  const address = req instanceof IncomingMessage ? clientAddress(req) : undefined;
  const headers = field(field(context, 'request'), 'headers');
  const get = field(headers, 'get');
  const accept: unknown = typeof get === 'function' ? Reflect.apply(get, headers, ['accept']) : undefined;
  const transport: ClientTransport =
    typeof accept !== 'string'
      ? 'http'
      : /multipart\/mixed/i.test(accept)
        ? 'multipart'
        : /text\/event-stream/i.test(accept)
          ? 'sse'
          : 'http';
  return { transport, address };
}

const isAsyncIterable = (value: unknown): boolean => typeof value === 'object' && value !== null && Symbol.asyncIterator in value;
const errorsOf = (result: unknown): readonly GraphQLError[] => {
  const errors = field(result, 'errors');
  return Array.isArray(errors) ? (errors as GraphQLError[]) : [];
};

/** The envelop plugin: HTTP operations and their refusals (parse, validation, execution) at debug. */
export function useClientLog(log: ClientLog): Plugin {
  return {
    onParse:
      ({ context }) =>
      ({ result }) => {
        const client = httpClient(context);
        if (client !== undefined && result instanceof Error) log.refused(client.transport, client.address, ['GRAPHQL_PARSE_FAILED']);
      },
    onValidate:
      ({ context, params }) =>
      ({ result }) => {
        const client = httpClient(context);
        if (client === undefined || result.length === 0) return;
        log.refused(
          client.transport,
          client.address,
          codesOf(result, 'GRAPHQL_VALIDATION_FAILED'),
          summarize(params.documentAST, undefined),
        );
      },
    onExecute: ({ args }) => {
      const client = httpClient(args.contextValue);
      if (client === undefined) return undefined;
      const summary = summarize(args.document, args.operationName);
      log.operation(client.transport, client.address, summary);
      return {
        onExecuteDone: ({ result }) => {
          const errors = isAsyncIterable(result) ? [] : errorsOf(result);
          if (errors.length > 0) log.refused(client.transport, client.address, codesOf(errors, 'OTHER'), summary);
        },
      };
    },
    onSubscribe: ({ args }) => {
      const client = httpClient(args.contextValue);
      if (client === undefined) return undefined;
      const summary = summarize(args.document, args.operationName);
      return {
        onSubscribeResult: ({ result }) => {
          if (isAsyncIterable(result)) return log.operation(client.transport, client.address, summary);
          log.refused(client.transport, client.address, codesOf(errorsOf(result), 'OTHER'), summary);
        },
      };
    },
  };
}
