/**
 * Expected errors, each with the `extensions.code` a client sees. Anything
 * that is not one of these is unexpected and gets masked by the GraphQL layer.
 */

export type ErrorCode = 'BAD_USER_INPUT' | 'UNAUTHENTICATED' | 'FORBIDDEN' | 'UPSTREAM_REJECTED' | 'SUBSCRIBER_TOO_SLOW' | 'LIMIT_EXCEEDED';

export class GatewayError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string) {
    super(message);
    this.name = 'GatewayError';
    this.code = code;
  }
}

export const badInput = (message: string): GatewayError => new GatewayError('BAD_USER_INPUT', message);
