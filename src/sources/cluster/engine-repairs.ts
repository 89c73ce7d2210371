/**
 * The engine upkeep's repairs (`engine-upkeep.ts`) counted by stream and
 * outcome since start, for `status.cluster.engineRepairs` and
 * `coincall_gateway_cluster_engine_repairs_total{stream,outcome}`: a stream
 * (or the lease bucket's) found gone and created again counts `created_again`
 * once; one that could not be created again counts `failed` at each round it
 * stays so (every `ENGINE_UPKEEP_MS`), so that an alert on its increase fires
 * for as long as it lasts, not only at its start. The streams are the
 * cluster's three (from its name): every series is there from the start, at 0.
 */
import type { ClusterNames } from './subjects.ts';

/** The `outcome` label's values. */
export const REPAIR_OUTCOMES = ['created_again', 'failed'] as const;
export type RepairOutcome = (typeof REPAIR_OUTCOMES)[number];

/** Counts by stream name, then outcome. */
export type EngineRepairCounts = Readonly<Record<string, Readonly<Record<RepairOutcome, number>>>>;

/** The streams the upkeep keeps: the trades stream, the state stream, and the lease bucket's (`KV_<bucket>`). */
export const keptStreams = (names: ClusterNames): string[] => [names.eventStream, names.stateStream, `KV_${names.bucket}`];

export interface EngineRepairs {
  count(stream: string, outcome: RepairOutcome): void;
  /** A copy of the counts now. */
  snapshot(): EngineRepairCounts;
}

export function createEngineRepairs(names: ClusterNames): EngineRepairs {
  const counts = new Map<string, Record<RepairOutcome, number>>(keptStreams(names).map((s) => [s, { created_again: 0, failed: 0 }]));
  return {
    count(stream, outcome) {
      const entry = counts.get(stream) ?? { created_again: 0, failed: 0 };
      entry[outcome]++;
      counts.set(stream, entry);
    },
    snapshot: () => Object.fromEntries([...counts].map(([stream, entry]) => [stream, { ...entry }])),
  };
}
