/**
 * The server's guards against hostile or careless clients, applied alike to
 * plain HTTP, SSE and graphql-ws: query limits (tokens, depth, aliases, cost,
 * directives; graphql-armor's rules) checked before execution, the per-process
 * connection cap, the per-connection subscription cap, and the HTTP body cap.
 * Every refusal carries `extensions.code: LIMIT_EXCEEDED` and says which limit.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { costLimitRule } from '@escape.tech/graphql-armor-cost-limit';
import { maxAliasesRule } from '@escape.tech/graphql-armor-max-aliases';
import { maxDepthRule } from '@escape.tech/graphql-armor-max-depth';
import { maxDirectivesRule } from '@escape.tech/graphql-armor-max-directives';
import { MaxTokensParserWLexer } from '@escape.tech/graphql-armor-max-tokens';
import { GraphQLError, validate, type DocumentNode, type ParseOptions, type Source, type ValidationContext, type ValidationRule } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { GatewayLimits } from '../lib/limits.ts';
import { validationRules } from './validation.ts';

export const LIMIT_EXCEEDED = 'LIMIT_EXCEEDED';
/** WebSocket close code "try again later": a connection that slipped past the cap during its handshake. */
export const CLOSE_TRY_AGAIN_LATER = 1013;

export function limitError(message: string): GraphQLError {
  return new GraphQLError(message, { extensions: { code: LIMIT_EXCEEDED } });
}

/** graphql-armor reports "Syntax Error: <what>"; a client gets "Operation refused: <what> (<VARIABLE>)." instead. */
function refusal(variable: string): (context: ValidationContext | null, error: GraphQLError) => void {
  return (context, error) => {
    const what = error.message.replace(/^Syntax Error:\s*/, '').replace(/\.$/, '');
    context?.reportError(limitError(`Operation refused: ${what} (${variable}).`));
  };
}

/** graphql-armor's validation rules, reporting (not throwing) a tagged error. */
export function queryLimitRules(limits: GatewayLimits): ValidationRule[] {
  const report = (variable: string) => ({ onReject: [refusal(variable)], propagateOnRejection: false });
  return [
    maxDepthRule({ n: limits.maxQueryDepth, ...report('MAX_QUERY_DEPTH') }),
    maxAliasesRule({ n: limits.maxAliases, ...report('MAX_ALIASES') }),
    costLimitRule({ maxCost: limits.maxQueryCost, ...report('MAX_QUERY_COST') }),
    maxDirectivesRule({ n: limits.maxDirectives, ...report('MAX_DIRECTIVES') }),
  ] as ValidationRule[];
}

/** Parses like `graphql`'s `parse`, but stops at the token limit with a LIMIT_EXCEEDED error. */
export function limitedParser(maxTokens: number): (source: string | Source, options?: ParseOptions) => DocumentNode {
  const onReject = () => {
    throw limitError(`Operation refused: the document has more than ${maxTokens} tokens (MAX_TOKENS).`);
  };
  return (source, options) => new MaxTokensParserWLexer(source, { ...options, n: maxTokens, onReject: [onReject], propagateOnRejection: false }).parseDocument();
}

/**
 * The yoga/envelop plugin that applies the query limits: on HTTP and SSE
 * through yoga, on graphql-ws through the same `getEnveloped()` pipeline.
 * It also keeps the gateway's tagged argument validation (BAD_USER_INPUT).
 */
export function useQueryLimits(limits: GatewayLimits): Plugin {
  const parse = limitedParser(limits.maxTokens);
  const rules = [...validationRules, ...queryLimitRules(limits)];
  return {
    onParse({ setParseFn }) {
      setParseFn(parse);
    },
    onValidate({ setValidationFn }) {
      setValidationFn((schema, document) => validate(schema, document, rules));
    },
  };
}

/** Counts the long-lived connections of the process: graphql-ws sockets and SSE streams. */
export interface ConnectionGate {
  /** Whether one more connection is allowed now. */
  hasRoom(): boolean;
  /** Whether the count is beyond the cap (a connection slipped past during its handshake). */
  overCap(): boolean;
  /** Counts a connection until `release` is called (once). */
  hold(): () => void;
  readonly open: number;
}

export function createConnectionGate(max: number): ConnectionGate {
  let open = 0;
  return {
    hasRoom: () => open < max,
    overCap: () => open > max,
    hold() {
      open += 1;
      let released = false;
      return () => {
        if (released) return;
        released = true;
        open -= 1;
      };
    },
    get open() {
      return open;
    },
  };
}

export const TOO_MANY_CONNECTIONS = 'Too many connections to this gateway: try again later (MAX_CONNECTIONS).';

function errorBody(message: string): string {
  return JSON.stringify({ errors: [{ message, extensions: { code: LIMIT_EXCEEDED } }] });
}

/** Refuses a WebSocket upgrade with an HTTP status and a GraphQL-shaped JSON body. */
export function refuseUpgrade(socket: Duplex, status: 503, message: string): void {
  const body = errorBody(message);
  socket.on('error', () => socket.destroy());
  socket.once('finish', () => socket.destroy());
  socket.end(
    `HTTP/1.1 ${status} Service Unavailable\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
}

/** Answers a plain HTTP request with a status and a GraphQL-shaped JSON error. */
export function refuseRequest(res: ServerResponse, status: 413 | 503, message: string): void {
  res.writeHead(status, { 'content-type': 'application/json', connection: 'close' }).end(errorBody(message));
}

/** The declared body size is beyond the cap (a body without a length is left to the parser and the token limit). */
export function bodyTooLarge(req: IncomingMessage, maxBytes: number): boolean {
  const declared = Number(req.headers['content-length'] ?? 0);
  return Number.isFinite(declared) && declared > maxBytes;
}

export const bodyTooLargeMessage = (maxBytes: number) => `Request body too large: the limit is ${maxBytes} bytes (HTTP_MAX_BODY_BYTES).`;

export const tooManySubscriptions = (max: number) =>
  limitError(`Too many subscriptions on this connection: the limit is ${max} (MAX_SUBSCRIPTIONS_PER_CONNECTION). Complete one before starting another.`);

/**
 * Whether yoga may answer a request with a Server-Sent Events stream: it does
 * for an `Accept` that names `text/event-stream` (in any letter case), allows
 * any type (`*` + `/*`, `text/*`), or is absent. Such requests count against
 * MAX_CONNECTIONS for as long as they stay open.
 */
export function mayStream(req: IncomingMessage): boolean {
  const accept = req.headers.accept;
  if (accept === undefined || accept.trim() === '') return true;
  return /text\/event-stream|text\/\*|\*\/\*/i.test(accept);
}
