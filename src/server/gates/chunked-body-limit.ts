/**
 * A chunked body (no Content-Length) over HTTP_MAX_BODY_BYTES: yoga's own cap
 * stops it while it streams, with its code `REQUEST_ENTITY_TOO_LARGE`; a
 * declared one is refused earlier by the request gate with LIMIT_EXCEEDED
 * naming the setting. This gives the chunked refusal the same code and message
 * (HTTP 413 kept) and counts it as the gate counts the other (BODY_TOO_LARGE).
 */
import { IncomingMessage } from 'node:http';
import { GraphQLError } from 'graphql';
import { isAsyncIterable, type Plugin } from 'graphql-yoga';
import { copyGraphQLError } from '../result-json.ts';
import { clientAddress } from './client-address.ts';
import type { ConnectionGate } from './connection-gate.ts';
import { bodyTooLargeMessage } from './request-gate.ts';

/** yoga's code for a body over its `maxRequestBodySize`. */
const YOGA_BODY_TOO_LARGE = 'REQUEST_ENTITY_TOO_LARGE';
/** The gateway's code for a limit (the contract's). */
const LIMIT_EXCEEDED = 'LIMIT_EXCEEDED';

/** The plugin: yoga's chunked-body refusal answered and counted as the gateway's own. */
export function useChunkedBodyLimit(gate: ConnectionGate, maxBytes: number): Plugin {
  return {
    onResultProcess({ result, setResult, serverContext }) {
      if (Array.isArray(result) || isAsyncIterable(result) || result.errors === undefined) return;
      if (!result.errors.some((error) => error.extensions?.['code'] === YOGA_BODY_TOO_LARGE)) return;
      // Node's request (its address, TRUST_PROXY applied), as the node adapter passes it.
      const req: unknown = Reflect.get(serverContext, 'req');
      gate.refused('BODY_TOO_LARGE', 'http', req instanceof IncomingMessage ? clientAddress(req) : undefined);
      const errors = result.errors.map((error) =>
        error instanceof GraphQLError && error.extensions['code'] === YOGA_BODY_TOO_LARGE
          ? copyGraphQLError(error, { message: bodyTooLargeMessage(maxBytes), extensions: { ...error.extensions, code: LIMIT_EXCEEDED } })
          : error,
      );
      setResult({ ...result, errors });
    },
  };
}
