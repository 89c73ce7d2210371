/**
 * Who a connection or request acts for, once the gateway's own access check
 * (GATEWAY_AUTH) has passed: a key id (a keys-file entry's `id`, or a JWT's
 * `sub`), its scopes and its limits. Never the key or the token itself.
 * Also the reasons an access check refuses, and the key limits a connection
 * or subscription is refused for, as counted by
 * `coincall_gateway_auth_refusals_total{reason}`.
 */

/** GATEWAY_AUTH: `none` lets anyone in (as before), `keys` checks the keys file, `jwt` verifies a signed token. */
export const AUTH_MODES = ['none', 'keys', 'jwt'] as const;
export type AuthMode = (typeof AUTH_MODES)[number];

/**
 * What a key may do: `public` market channels and queries (and `status`),
 * `private` account channels (with the client's own Coincall key still),
 * `any-document` any document when TRUSTED_DOCUMENTS_FILE is set (and introspection).
 */
export const SCOPES = ['public', 'private', 'any-document'] as const;
export type Scope = (typeof SCOPES)[number];

export const isScope = (value: unknown): value is Scope => typeof value === 'string' && (SCOPES as readonly string[]).includes(value);

/** Why an access check refused (the metric's `reason` label). */
export const REFUSAL_REASONS = ['missing', 'unknown', 'expired', 'scope', 'document'] as const;
export type RefusalReason = (typeof REFUSAL_REASONS)[number];

/** Which of a key's own limits refused a connection (`maxConnections`) or a subscription (`maxSubscriptions`): the metric's other `reason`s. */
export const KEY_LIMIT_REASONS = ['max_connections', 'max_subscriptions'] as const;
export type KeyLimitReason = (typeof KEY_LIMIT_REASONS)[number];

export interface Principal {
  /** The key id (`status`, logs, metrics and errors name it; it is not secret). */
  readonly id: string;
  readonly scopes: ReadonlySet<Scope>;
  /** Most open connections (graphql-ws sockets, SSE and multipart streams) of this key at once; none when absent. */
  readonly maxConnections?: number;
  /** Most live subscriptions of this key at once, over all its connections; none when absent. */
  readonly maxSubscriptions?: number;
  /** When the credential stops being valid (a JWT's `exp`, epoch ms); never when absent. */
  readonly expiresAt?: number;
}

/** The key id of every client when GATEWAY_AUTH=none (the metric's `client` label). */
export const ANONYMOUS_ID = 'anonymous';

/**
 * Everyone, when GATEWAY_AUTH=none: public and private fields, no limits of
 * its own; not `any-document`, so TRUSTED_DOCUMENTS_FILE pins an open gateway
 * (a public frontend) to its documents.
 */
export const ANONYMOUS: Principal = { id: ANONYMOUS_ID, scopes: new Set<Scope>(['public', 'private']) };

/** The outcome of presenting a credential. */
export type AuthOutcome =
  { readonly ok: true; readonly principal: Principal } | { readonly ok: false; readonly reason: RefusalReason; readonly message: string };

/** Checks a presented `Authorization` value (or `connectionParams.authorization`). */
export interface Authenticator {
  readonly mode: AuthMode;
  /** With a keys file: whether its last read succeeded (false: the keys read before stay in force). */
  readonly fileValid?: boolean;
  authenticate(authorization: unknown): Promise<AuthOutcome>;
  /**
   * A principal admitted earlier as its key stands now: the keys file's entry
   * of the same key (its scopes and limits may have changed since), or
   * undefined once the key left the file, was rotated, or its token expired.
   */
  current(principal: Principal): Principal | undefined;
  /** Called with no argument whenever the keys changed (sweeps of revoked and narrowed keys). */
  onChange(listener: () => void): void;
  /** Re-reads what it checks against (the keys file on SIGHUP); a no-op otherwise. */
  reload(): void;
  close(): void;
}

/** The longest `Authorization` value looked at: keys are short, JWTs a few kilobytes at most. */
export const MAX_AUTHORIZATION_LENGTH = 16 * 1024;

export const MISSING_MESSAGE =
  'This gateway needs a key: send "Authorization: Bearer <key>" (HTTP, SSE, multipart, WebSocket upgrade) or connectionParams { authorization: "Bearer <key>" } (graphql-ws).';
export const UNKNOWN_MESSAGE = 'The key presented is not valid for this gateway.';

/** The credential of a `Bearer` value; undefined when absent or not a `Bearer` string. */
export function bearerOf(authorization: unknown): string | undefined {
  if (typeof authorization !== 'string' || authorization.length > MAX_AUTHORIZATION_LENGTH) return undefined;
  const match = /^\s*Bearer\s+(\S+)\s*$/i.exec(authorization);
  return match?.[1];
}

/** A refusal for an absent or malformed `Authorization` value, or undefined when there is a bearer credential to check. */
export function missingCredential(authorization: unknown): AuthOutcome | undefined {
  if (authorization === undefined || authorization === null || authorization === '')
    return { ok: false, reason: 'missing', message: MISSING_MESSAGE };
  if (bearerOf(authorization) === undefined) return { ok: false, reason: 'unknown', message: UNKNOWN_MESSAGE };
  return undefined;
}
