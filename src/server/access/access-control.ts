/**
 * The gateway's own access check at run time, shared by every transport
 * (`http-access.ts`, `ws-access.ts`): authentication with refusals counted
 * by reason and logged at debug (never the key or token), the per-key
 * connection and subscription counts (`auth/client-registry.ts`), the
 * document checks (trusted documents, introspection, a subscription's scope)
 * and the sweep after the keys changed: a key that leaves the keys file (or
 * changes its hash) ends its connections with the reason "key revoked"; a
 * key that lost a scope, or whose limits dropped below what its connections
 * use, ends them with "key changed: reconnect" (they come back with the new
 * entry). A refusal for a key's own limits is counted (by limit) and logged
 * at debug like the access check's.
 */
import {
  getOperationAST,
  NoSchemaIntrospectionCustomRule,
  parse,
  validate,
  type DocumentNode,
  type GraphQLError,
  type GraphQLSchema,
} from 'graphql';
import type { Switch } from '../../auth/access-config.ts';
import { ClientRegistry, narrowedBelow, type Admitted, type EndConnection } from '../../auth/client-registry.ts';
import {
  KEY_LIMIT_REASONS,
  REFUSAL_REASONS,
  type Authenticator,
  type AuthOutcome,
  type KeyLimitReason,
  type Principal,
  type RefusalReason,
} from '../../auth/principal.ts';
import { asGraphQLError, outsideScope, persistedQueryNotFound } from '../../lib/errors.ts';
import type { Logger } from '../../lib/logger.ts';
import { subscriptionOutsideScope } from './field-scopes.ts';
import type { TrustedDocuments } from './trusted-documents.ts';

/** What `app.ts` builds from the configuration. */
export interface AccessSetup {
  /** Absent: GATEWAY_AUTH=none, anyone who reaches the port (as before). */
  readonly authenticator?: Authenticator;
  readonly trustedDocuments?: TrustedDocuments;
  readonly graphiql?: Switch;
  readonly introspection?: Switch;
}

export const KEY_REVOKED = 'key revoked';
/** A key's entry took away a scope, or room its connections use: they end and reconnect under the new entry. */
export const KEY_CHANGED = 'key changed: reconnect';
export const TOKEN_EXPIRED = 'token expired';
export const INTROSPECTION_OFF = 'Introspection is off for this key (INTROSPECTION; keys with the "any-document" scope may introspect).';
export const NOT_TRUSTED =
  'This document is not one of the trusted documents of this gateway (TRUSTED_DOCUMENTS_FILE): send a listed one by documentId, extensions.persistedQuery.sha256Hash or its exact text.';
export const UNKNOWN_DOCUMENT_ID = 'No trusted document has this id (TRUSTED_DOCUMENTS_FILE).';

/** Where a credential was presented, for the debug log line. */
export interface Presented {
  readonly transport: 'http' | 'ws';
  readonly address: string | undefined;
}

/** A document an operation names, before it is known to be trusted. */
export interface NamedDocument {
  readonly query: string | undefined;
  readonly documentId: string | undefined;
  readonly sha256Hash: string | undefined;
}

/** A connection's or subscription's log fields (transport, address, key id…), for a refusal's debug line. */
export type LogFields = Readonly<Record<string, unknown>>;

/** Every reason `coincall_gateway_auth_refusals_total` counts: the access check's, then a key's own limits. */
export type AuthRefusalReason = RefusalReason | KeyLimitReason;

export type DocumentCheck =
  { readonly ok: true; readonly query: string | undefined } | { readonly ok: false; readonly error: GraphQLError };

export class AccessControl {
  readonly registry = new ClientRegistry();
  readonly refusals: Record<AuthRefusalReason, number> = Object.fromEntries(
    [...REFUSAL_REASONS, ...KEY_LIMIT_REASONS].map((r) => [r, 0]),
  ) as Record<AuthRefusalReason, number>;
  /** graphql-ws sockets' principals, by their `connectionParams` object (what envelop's context carries). */
  private readonly byParams = new WeakMap<object, Principal>();
  private readonly setup: AccessSetup;
  private readonly schema: GraphQLSchema;
  private readonly logger: Logger;
  private readonly maxTokens: number;

  constructor(setup: AccessSetup, schema: GraphQLSchema, logger: Logger, maxTokens: number) {
    this.setup = setup;
    this.schema = schema;
    this.logger = logger;
    this.maxTokens = maxTokens;
    const { authenticator } = setup;
    authenticator?.onChange(() => this.sweep());
  }

  /** Whether GATEWAY_AUTH is on (keys or jwt). */
  get enabled(): boolean {
    return this.setup.authenticator !== undefined;
  }

  get mode(): string {
    return this.setup.authenticator?.mode ?? 'none';
  }

  /** GRAPHIQL: on unless switched off (the page holds no data; every request from it needs a key when auth is on). */
  get graphiql(): boolean {
    return this.setup.graphiql !== 'off';
  }

  /** INTROSPECTION: `on`/`off` for everyone; unset: on when open, otherwise for keys with `any-document`. */
  introspection(principal: Principal): boolean {
    if (this.setup.introspection !== undefined) return this.setup.introspection === 'on';
    return !this.enabled || principal.scopes.has('any-document');
  }

  /** Whether requests need checking at all: GATEWAY_AUTH, trusted documents or an INTROSPECTION switch. */
  get active(): boolean {
    return this.enabled || this.setup.trustedDocuments !== undefined || this.setup.introspection !== undefined;
  }

  bindConnectionParams(params: object, principal: Principal): void {
    this.byParams.set(params, principal);
  }

  /** The principal of a graphql-ws socket, as its key stands now (`current`). */
  principalOfParams(params: unknown): Principal | undefined {
    const principal = typeof params === 'object' && params !== null ? this.byParams.get(params) : undefined;
    return principal === undefined ? undefined : this.current(principal);
  }

  /**
   * A principal admitted earlier as its key stands now: the keys file's entry
   * (its scopes and limits may have changed), or no scope at all once the
   * key is revoked or its token expired (its connections are ending).
   */
  current(principal: Principal): Principal {
    const authenticator = this.setup.authenticator;
    if (authenticator === undefined) return principal;
    return authenticator.current(principal) ?? { id: principal.id, scopes: new Set() };
  }

  refused(reason: AuthRefusalReason): void {
    this.refusals[reason]++;
  }

  /** Refusals for a key's own limits: each is a `LIMIT_EXCEEDED` (`coincall_gateway_refusals_total`). */
  get limitRefusals(): number {
    return KEY_LIMIT_REASONS.reduce((sum, reason) => sum + this.refusals[reason], 0);
  }

  /** Counts a connection of `principal` unless its key is at maxConnections (then counted and logged). */
  openConnection(principal: Principal, end: EndConnection, fields: LogFields): Admitted {
    return this.admitted(this.registry.openConnection(principal, end), principal, fields);
  }

  /** Counts a subscription of `principal` unless its key, as it stands now, is at maxSubscriptions (then counted and logged). */
  openSubscription(principal: Principal, fields: LogFields): Admitted {
    return this.admitted(this.registry.openSubscription(this.current(principal)), principal, fields);
  }

  private admitted(outcome: Admitted, principal: Principal, fields: LogFields): Admitted {
    if (outcome.ok) return outcome;
    this.refused(outcome.limit);
    this.logger.debug({ ...fields, client: principal.id, reason: outcome.limit, limit: outcome.max }, 'access refused');
    return outcome;
  }

  /** Checks a presented `Authorization` value; a refusal is counted and logged at debug (without the value). */
  async authenticate(authorization: unknown, where: Presented): Promise<AuthOutcome> {
    const authenticator = this.setup.authenticator;
    if (authenticator === undefined) throw new Error('authenticate() without GATEWAY_AUTH');
    const outcome = await authenticator.authenticate(authorization);
    if (!outcome.ok) {
      this.refused(outcome.reason);
      this.logger.debug({ ...where, reason: outcome.reason }, 'access refused');
    }
    return outcome;
  }

  /** Ends the connections whose key no longer holds, or was narrowed below them (a keys file change); returns how many. */
  sweep(): number {
    const authenticator = this.setup.authenticator;
    if (authenticator === undefined) return 0;
    const ended = this.registry.sweep((principal, use) => {
      const now = authenticator.current(principal);
      if (now === undefined) return { end: KEY_REVOKED };
      // The same principal (a JWT's) has not changed; a keys file's entry is read afresh.
      return now !== principal && narrowedBelow(principal, now, use) ? { end: KEY_CHANGED } : { keep: now };
    });
    const revoked = ended.get(KEY_REVOKED) ?? [];
    const changed = ended.get(KEY_CHANGED) ?? [];
    if (revoked.length > 0)
      this.logger.info({ connections: revoked.length, clients: [...new Set(revoked)] }, 'access: connections of revoked keys ended');
    if (changed.length > 0)
      this.logger.info(
        { connections: changed.length, clients: [...new Set(changed)] },
        'access: connections of narrowed keys ended (a scope or room taken away): they reconnect under the new entry',
      );
    return revoked.length + changed.length;
  }

  /** Logs a connection's or subscription's start or end at debug: transport, address and key id. */
  log(event: string, fields: Readonly<Record<string, unknown>>): void {
    this.logger.debug(fields, event);
  }

  /**
   * The document an operation may run, for `principal`: a `documentId` or
   * Apollo hash resolved to its text, a text checked against the trusted
   * documents (unless the key has `any-document`), introspection and a
   * subscription's scope checked. A document that does not parse is left to
   * the usual parse error.
   */
  checkDocument(named: NamedDocument, operationName: string | null | undefined, principal: Principal): DocumentCheck {
    const trusted = this.setup.trustedDocuments;
    let query = named.query;
    const id = named.documentId ?? named.sha256Hash;
    if (trusted !== undefined && id !== undefined) {
      const found = trusted.byHash(id);
      if (found === undefined) return this.refuseDocument(UNKNOWN_DOCUMENT_ID);
      query = found;
    } else if (trusted !== undefined && !principal.scopes.has('any-document') && (query === undefined || !trusted.hasText(query)))
      return this.refuseDocument(NOT_TRUSTED);
    if (query === undefined) return { ok: true, query };
    let document: DocumentNode;
    try {
      document = parse(query, { noLocation: true, maxTokens: this.maxTokens });
    } catch {
      return { ok: true, query };
    }
    if (!this.introspection(principal) && validate(this.schema, document, [NoSchemaIntrospectionCustomRule]).length > 0) {
      this.refused('scope');
      return { ok: false, error: asGraphQLError(outsideScope(INTROSPECTION_OFF)) };
    }
    const outside = subscriptionOutsideScope(this.schema, document, operationName, principal);
    if (outside !== undefined) {
      this.refused('scope');
      return { ok: false, error: outside };
    }
    return { ok: true, query };
  }

  /** Whether the document's chosen operation is a subscription (false when it does not parse). */
  isSubscription(query: string | undefined, operationName: string | null | undefined): boolean {
    if (query === undefined) return false;
    try {
      return (
        getOperationAST(parse(query, { noLocation: true, maxTokens: this.maxTokens }), operationName ?? undefined)?.operation ===
        'subscription'
      );
    } catch {
      return false;
    }
  }

  private refuseDocument(message: string): DocumentCheck {
    this.refused('document');
    return { ok: false, error: asGraphQLError(persistedQueryNotFound(message)) };
  }

  close(): void {
    this.setup.authenticator?.close();
  }
}
