/**
 * The counters of the shared subscription path. The fan-out
 * (`server/fanout.ts`) produces them and `Query.status` (`graphql/status.ts`)
 * shows them; the type lives here, below both layers, because graphql/ may not
 * import server/ and the fan-out, not the schema, owns what it counts.
 */

export interface SharingStats {
  /** Distinct (document, variables, credential) groups now active. */
  readonly groups: number;
  /** Subscriptions served by those groups. */
  readonly members: number;
  /** Results produced by group executions (one per upstream event per group). */
  readonly executions: number;
  /** `next` messages written on the shared path. */
  readonly deliveries: number;
  /** State updates skipped for a backed-up socket. */
  readonly conflated: number;
  /** Subscribers closed for falling behind on an event stream. */
  readonly tooSlow: number;
}
