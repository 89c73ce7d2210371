/**
 * The per-process connection cap (MAX_CONNECTIONS): a count of the
 * long-lived connections, graphql-ws sockets and SSE streams, that the
 * request gate (`request-gate.ts`) and the upgrade gate (`upgrade-gate.ts`)
 * consult before anything reaches yoga or graphql-ws, and the JSON body of
 * their refusals (GraphQL-shaped, `extensions.code: LIMIT_EXCEEDED`).
 */
import type { ErrorCode } from '../../lib/errors.ts';
import type { ClientLog, ClientTransport } from '../client-log.ts';

export const TOO_MANY_CONNECTIONS = 'Too many connections to this gateway: try again later (MAX_CONNECTIONS).';

const REFUSAL_CODE: ErrorCode = 'LIMIT_EXCEEDED';

/** Counts the long-lived connections of the process: graphql-ws sockets and SSE streams. */
export interface ConnectionGate {
  /** Whether one more connection is allowed now. */
  hasRoom(): boolean;
  /** Whether the count is beyond the cap (a connection slipped past during its handshake). */
  overCap(): boolean;
  /** Counts a connection until `release` is called (once). */
  hold(): () => void;
  /** Connections open now: those held, plus those counted elsewhere (graphql-ws sockets). */
  readonly open: number;
  /** Refusals at the gates since start, by code (plain counters, read by `/metrics`). */
  readonly refusals: GateRefusals;
  /** Counts a refusal at the gates and logs it (at debug). */
  refused(code: keyof GateRefusals, transport: ClientTransport, address: string | undefined): void;
}

/** What the gates refuse before any GraphQL work. */
export interface GateRefusals {
  TOO_MANY_CONNECTIONS: number;
  TOO_MANY_CONNECTIONS_PER_IP: number;
  BODY_TOO_LARGE: number;
}

/**
 * `counted`: connections counted elsewhere, without a hold each. The
 * WebSocketServer's own client set serves for graphql-ws sockets (a socket is
 * in it from its handshake's end to its close), so an open socket costs the
 * gate no listener and no closure.
 */
export function createConnectionGate(max: number, counted: () => number = () => 0, log?: ClientLog): ConnectionGate {
  let held = 0;
  const refusals: GateRefusals = { TOO_MANY_CONNECTIONS: 0, TOO_MANY_CONNECTIONS_PER_IP: 0, BODY_TOO_LARGE: 0 };
  return {
    refusals,
    refused(code, transport, address) {
      refusals[code]++;
      log?.refused(transport, address, [code]);
    },
    hasRoom: () => held + counted() < max,
    overCap: () => held + counted() > max,
    hold() {
      held += 1;
      let released = false;
      return () => {
        if (released) return;
        released = true;
        held -= 1;
      };
    },
    get open() {
      return held + counted();
    },
  };
}

/** The body of a refusal at the gates: a GraphQL-shaped JSON error. */
export function refusalBody(message: string): string {
  return JSON.stringify({ errors: [{ message, extensions: { code: REFUSAL_CODE } }] });
}
