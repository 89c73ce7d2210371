/**
 * What a replica reports of the cluster: `GatewayStatus.cluster` and the
 * cluster metrics read it (through `UpstreamStatus.cluster`).
 */
import type { BadMessageCounts } from './bad-messages.ts';
import type { EngineRepairCounts } from './engine-repairs.ts';
import type { GapMarkerCounts } from './gap-counts.ts';
import type { PublishResult } from './publisher.ts';

export type ClusterEngineState = 'CONNECTED' | 'DISCONNECTED';

/** What a replica reports of the cluster (GatewayStatus.cluster, the cluster metrics). */
export interface ClusterStatus {
  readonly node: string;
  readonly engine: ClusterEngineState;
  /** The nodes alive within the lease TTL, this one included (from the engine; only this one while it is unreachable). */
  replicas(): Promise<string[]>;
  /** Topics this replica holds now (publishes into the engine). */
  readonly topicsHeld: number;
  readonly topicsHeldByMarket: Readonly<Record<string, number>>;
  /** Leases another replica held that this one took over after they expired (the holder died or stalled), since start. */
  readonly takeovers: number;
  /** Leases another replica held that this one took after their holder released them (a graceful stop), since start. */
  readonly handovers: number;
  /** Publishes into the engine by outcome, since start. */
  readonly publishes: Readonly<Record<PublishResult, number>>;
  /** Trades gaps judged by reason and outcome, since start (`failed`: the gap could not be marked). */
  readonly gapMarkers: GapMarkerCounts;
  /** What of the engine's messages this replica did not take, by reason, since start (`message-check.ts`). */
  readonly badMessages: BadMessageCounts;
  /** The engine upkeep's repairs by stream and outcome, since start (`engine-repairs.ts`). */
  readonly engineRepairs: EngineRepairCounts;
  /** Topics whose feed cannot read its stream with NATS up (gone, not created again: `feed-gone.ts`), served from the own upstream now. */
  readonly feedsGone: number;
}
