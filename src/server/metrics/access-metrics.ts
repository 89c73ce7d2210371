/**
 * The access families (contract, "Metrics added (third milestone)"), read at
 * scrape time from plain counters: open connections by key id
 * (`coincall_gateway_client_connections{client}`, `anonymous` when
 * GATEWAY_AUTH=none; bounded by the keys file, or by the token issuer's
 * subjects), access refusals by reason (the access check's, and a key's own
 * `max_connections` / `max_subscriptions`), and whether the keys file's last
 * read succeeded (a broken file keeps the keys before it in force).
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import { ANONYMOUS_ID, KEY_LIMIT_REASONS, REFUSAL_REASONS, type KeyLimitReason, type RefusalReason } from '../../auth/principal.ts';

const PREFIX = 'coincall_gateway_';

export interface AccessMetricsSources {
  /** Open connections by key id; undefined when GATEWAY_AUTH=none. */
  readonly byClient: () => ReadonlyMap<string, number> | undefined;
  /** Every open connection (graphql-ws sockets, SSE and multipart streams): the `anonymous` count when access is open. */
  readonly open: () => number;
  readonly refusals: () => Readonly<Record<RefusalReason | KeyLimitReason, number>>;
  /** The keys file's last read: true valid, false broken; undefined without a keys file. */
  readonly keysFileValid: () => boolean | undefined;
}

export function registerAccessMetrics(registry: Registry, sources: AccessMetricsSources): void {
  new Gauge({
    name: `${PREFIX}client_connections`,
    help: 'Open client connections (graphql-ws sockets, SSE and multipart streams) by gateway key id; anonymous when GATEWAY_AUTH=none.',
    labelNames: ['client'],
    registers: [registry],
    collect() {
      this.reset();
      const byClient = sources.byClient();
      if (byClient === undefined) this.set({ client: ANONYMOUS_ID }, sources.open());
      else for (const [client, count] of byClient) this.set({ client }, count);
    },
  });
  new Counter({
    name: `${PREFIX}auth_refusals_total`,
    help: 'Requests, connections and subscriptions refused by the access check or a key\u2019s own limits, by reason (missing, unknown, expired, scope, document, max_connections, max_subscriptions).',
    labelNames: ['reason'],
    registers: [registry],
    collect() {
      this.reset();
      const refusals = sources.refusals();
      for (const reason of [...REFUSAL_REASONS, ...KEY_LIMIT_REASONS]) this.inc({ reason }, refusals[reason]);
    },
  });
  new Gauge({
    name: `${PREFIX}auth_keys_file_valid`,
    help: 'Whether the last read of GATEWAY_KEYS_FILE succeeded (0: broken, the keys read before stay in force).',
    registers: [registry],
    collect() {
      const valid = sources.keysFileValid();
      this.reset();
      if (valid !== undefined) this.set(valid ? 1 : 0);
    },
  });
}
