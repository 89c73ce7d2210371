/**
 * The connections and subscriptions of each key, over every transport and
 * every connection of that key: the per-key caps (maxConnections,
 * maxSubscriptions) are checked here, the `client_connections` gauge reads
 * the counts, and a sweep (after the keys changed) ends the connections its
 * verdict names a reason for: a key no longer valid, or one narrowed below
 * what its connections hold. A connection is an open graphql-ws socket or an
 * SSE or multipart stream; plain queries are never counted.
 */
import type { KeyLimitReason, Principal } from './principal.ts';

/** How a registered connection is ended (a graphql-ws socket closes with 4403 and the reason; an SSE or multipart stream ends in band with an UNAUTHENTICATED error). */
export type EndConnection = (reason: string) => void;

export type Admitted =
  | { readonly ok: true; readonly release: () => void }
  | { readonly ok: false; readonly message: string; readonly limit: KeyLimitReason; readonly max: number };

interface Connection {
  /** The key as it was when last judged (at connect, then at each sweep that kept it). */
  principal: Principal;
  readonly end: EndConnection;
}

interface PerKey {
  connections: number;
  subscriptions: number;
}

/** What a key's connections hold now, over all of them. */
export type KeyUse = Readonly<PerKey>;

/** Why a connection must end now (its close reason), or undefined to keep it. */
export type Verdict = (principal: Principal, use: KeyUse) => { readonly end: string } | { readonly keep: Principal };

export const tooManyConnectionsOfKey = (id: string, max: number) =>
  `Too many connections for key ${id}: its limit is ${max} (maxConnections). Close one before opening another.`;
export const tooManySubscriptionsOfKey = (id: string, max: number) =>
  `Too many subscriptions for key ${id}: its limit is ${max} (maxSubscriptions). Complete one before starting another.`;

/**
 * Whether a key's entry as it stands now (`now`) takes away something a
 * connection admitted as `before` holds: a scope it has (used or not), or
 * room for what the key's connections use (a lowered maxConnections or
 * maxSubscriptions below the key's use). Widening changes nothing here: new
 * connections get it.
 */
export function narrowedBelow(before: Principal, now: Principal, use: KeyUse): boolean {
  for (const scope of before.scopes) if (!now.scopes.has(scope)) return true;
  return (
    (now.maxConnections !== undefined && use.connections > now.maxConnections) ||
    (now.maxSubscriptions !== undefined && use.subscriptions > now.maxSubscriptions)
  );
}

export class ClientRegistry {
  private readonly keys = new Map<string, PerKey>();
  private readonly connections = new Set<Connection>();

  private of(id: string): PerKey {
    let counts = this.keys.get(id);
    if (counts === undefined) this.keys.set(id, (counts = { connections: 0, subscriptions: 0 }));
    return counts;
  }

  private forget(id: string): void {
    const counts = this.keys.get(id);
    if (counts !== undefined && counts.connections === 0 && counts.subscriptions === 0) this.keys.delete(id);
  }

  /** Counts a connection of `principal` unless its key is at maxConnections. */
  openConnection(principal: Principal, end: EndConnection): Admitted {
    const counts = this.of(principal.id);
    if (principal.maxConnections !== undefined && counts.connections >= principal.maxConnections) {
      this.forget(principal.id);
      const max = principal.maxConnections;
      return { ok: false, message: tooManyConnectionsOfKey(principal.id, max), limit: 'max_connections', max };
    }
    counts.connections++;
    const connection: Connection = { principal, end };
    this.connections.add(connection);
    let released = false;
    return {
      ok: true,
      release: () => {
        if (released) return;
        released = true;
        this.connections.delete(connection);
        counts.connections--;
        this.forget(principal.id);
      },
    };
  }

  /** Counts a subscription of `principal` unless its key is at maxSubscriptions. */
  openSubscription(principal: Principal): Admitted {
    const counts = this.of(principal.id);
    if (principal.maxSubscriptions !== undefined && counts.subscriptions >= principal.maxSubscriptions) {
      this.forget(principal.id);
      const max = principal.maxSubscriptions;
      return { ok: false, message: tooManySubscriptionsOfKey(principal.id, max), limit: 'max_subscriptions', max };
    }
    counts.subscriptions++;
    let released = false;
    return {
      ok: true,
      release: () => {
        if (released) return;
        released = true;
        counts.subscriptions--;
        this.forget(principal.id);
      },
    };
  }

  /**
   * Ends every connection `verdict` gives a reason for (its key's use as it
   * was before this sweep: connections end asynchronously); returns the key
   * ids of the ended connections by reason. A connection kept takes the key
   * as the verdict found it now, so that the next sweep judges a narrowing
   * against what it was last granted (a scope given, used, then taken back).
   */
  sweep(verdict: Verdict): ReadonlyMap<string, readonly string[]> {
    const use = new Map([...this.keys].map(([id, counts]) => [id, { ...counts }] as const));
    const ended = new Map<string, string[]>();
    for (const connection of [...this.connections]) {
      const { id } = connection.principal;
      const judged = verdict(connection.principal, use.get(id) ?? { connections: 0, subscriptions: 0 });
      if ('keep' in judged) {
        connection.principal = judged.keep;
        continue;
      }
      const reason = judged.end;
      let ids = ended.get(reason);
      if (ids === undefined) ended.set(reason, (ids = []));
      ids.push(id);
      connection.end(reason);
    }
    return ended;
  }

  /** Open connections by key id. */
  connectionsByClient(): ReadonlyMap<string, number> {
    const out = new Map<string, number>();
    for (const [id, counts] of this.keys) if (counts.connections > 0) out.set(id, counts.connections);
    return out;
  }

  /** Key ids with connections open now. */
  clients(): readonly string[] {
    return [...this.connectionsByClient().keys()];
  }
}
