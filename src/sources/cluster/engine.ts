/**
 * The engine's set-up: connect to NATS, then create or update the two streams
 * and the lease bucket, so that the engine needs no manual set-up. Trades are
 * kept for the resume window (max age, a per-subject limit, discard old) and
 * de-duplicated by message id over `DUPLICATE_WINDOW_MS`; state topics keep
 * their latest value only. Both allow Direct Get (NATS 2.9 has it).
 *
 * The trades stream's identity (its name and creation time) is the resume
 * window's epoch (`stream-window.ts`): a stream deleted and created again
 * names a new epoch, so cursors of the old one read as expired. The engine
 * object outlives reconnects while the stream may not (NATS lost its storage,
 * an operator recreated it, another replica created it again at its start):
 * `refreshEpoch` reads the creation time again (on each reconnect,
 * `engine-link.ts`; when a read finds a cursor past the stream's end,
 * `stream-window.ts`; when a feed finds its stream created again under it,
 * `reader.ts`). While connected, a stream or the bucket found gone is created
 * again at once (`engine-upkeep.ts`), the epoch re-read with it.
 */
import { connect, nanos, type NatsConnection } from '@nats-io/transport-node';
import {
  DiscardPolicy,
  jetstream,
  jetstreamManager,
  RetentionPolicy,
  StorageType,
  type JetStreamClient,
  type JetStreamManager,
  type StreamConfig,
} from '@nats-io/jetstream';
import { Kvm, type KV } from '@nats-io/kv';
import { startUpkeep } from './engine-upkeep.ts';
import { natsAuth } from './nats-auth.ts';
import type { ClusterNames } from './subjects.ts';

/** The engine drops a trade published twice (by the two holders) within this window. */
export const DUPLICATE_WINDOW_MS = 120_000;
/** How long a request to the engine may take before it counts as failed. */
export const ENGINE_REQUEST_TIMEOUT_MS = 2_000;
/** Reconnect attempts never end: a replica rejoins whenever the engine is back. */
const RECONNECT_FOREVER = -1;
const RECONNECT_WAIT_MS = 500;

export interface EngineSettings {
  readonly servers: string;
  readonly names: ClusterNames;
  /** The trades stream's max age (`RESUME_WINDOW_MS`). */
  readonly retentionMs: number;
  /** The trades stream's per-subject limit (`RESUME_MAX_EVENTS_PER_TOPIC`). */
  readonly maxEventsPerTopic: number;
  /** A lease's life without renewal (`CLUSTER_LEASE_TTL_MS`): the bucket's max age. */
  readonly leaseTtlMs: number;
  /** The connection's name, seen by the NATS server's monitoring. */
  readonly node: string;
  /** A stream or the bucket was found gone while connected and was created again (`engine-upkeep.ts`). */
  readonly onRepaired?: (streams: readonly string[]) => void;
  /** One found gone could not be created again (said at each round it fails, with the failing rounds in a row). */
  readonly onRepairFailed?: (stream: string, error: unknown, rounds: number) => void;
  /** How often they are looked up (default `ENGINE_UPKEEP_MS`). */
  readonly upkeepMs?: number;
}

/** A connected engine with its streams and bucket in place. */
export interface Engine {
  readonly nc: NatsConnection;
  readonly js: JetStreamClient;
  readonly jsm: JetStreamManager;
  readonly kv: KV;
  readonly names: ClusterNames;
  /** The trades stream's identity: its name and creation time (the cursors' epoch), as last read (`refreshEpoch`). */
  readonly eventEpoch: string;
  /** Reads the trades stream's creation time again (it may have been deleted and created again); resolves to the epoch now. */
  refreshEpoch(): Promise<string>;
  close(): Promise<void>;
}

/** A stream's identity: its name and its creation time to the nanosecond (digits only). */
export function streamEpoch(name: string, created: string): string {
  return `${name}.${created.replace(/\D/g, '')}`;
}

/** The two streams' configurations. */
export function streamConfigs(settings: EngineSettings): {
  events: Partial<StreamConfig> & { name: string };
  state: Partial<StreamConfig> & { name: string };
} {
  const { names } = settings;
  const common = {
    storage: StorageType.File,
    discard: DiscardPolicy.Old,
    retention: RetentionPolicy.Limits,
    allow_direct: true,
    num_replicas: 1,
  };
  return {
    events: {
      ...common,
      name: names.eventStream,
      subjects: [names.eventSubjects],
      max_age: nanos(settings.retentionMs),
      max_msgs_per_subject: settings.maxEventsPerTopic,
      duplicate_window: nanos(Math.min(DUPLICATE_WINDOW_MS, settings.retentionMs)),
    },
    state: {
      ...common,
      name: names.stateStream,
      subjects: [names.stateSubjects],
      max_msgs_per_subject: 1,
      duplicate_window: nanos(DUPLICATE_WINDOW_MS),
    },
  };
}

/** Creates a stream, or updates it when it exists (a changed window or limit takes effect at start). */
async function ensureStream(jsm: JetStreamManager, config: Partial<StreamConfig> & { name: string }): Promise<void> {
  try {
    const info = await jsm.streams.info(config.name);
    await jsm.streams.update(config.name, { ...info.config, ...config });
  } catch (error) {
    if (!(error instanceof Error) || !/stream not found/i.test(error.message)) throw error;
    await jsm.streams.add(config);
  }
}

/** The lease bucket, its max age set to the lease TTL (an existing bucket is brought to the current TTL). */
async function ensureBucket(js: JetStreamClient, jsm: JetStreamManager, settings: EngineSettings): Promise<KV> {
  const kv = await new Kvm(js).create(settings.names.bucket, { ttl: settings.leaseTtlMs, history: 1, storage: StorageType.File });
  const streamName = `KV_${settings.names.bucket}`;
  const info = await jsm.streams.info(streamName);
  if (info.config.max_age !== nanos(settings.leaseTtlMs))
    await jsm.streams.update(streamName, { ...info.config, max_age: nanos(settings.leaseTtlMs) });
  return kv;
}

/** Connects and sets the engine up; rejects when the engine cannot be reached or refuses. */
export async function openEngine(settings: EngineSettings): Promise<Engine> {
  const nc = await connect({
    ...natsAuth(settings.servers),
    name: `coincall-gateway ${settings.node}`,
    maxReconnectAttempts: RECONNECT_FOREVER,
    reconnectTimeWait: RECONNECT_WAIT_MS,
    timeout: ENGINE_REQUEST_TIMEOUT_MS,
    // Every publish is a request: without this, each one also builds an Error (a stack trace) for an async trace, on the hot path.
    noAsyncTraces: true,
  });
  try {
    const jsm = await jetstreamManager(nc, { timeout: ENGINE_REQUEST_TIMEOUT_MS });
    const js = jetstream(nc, { timeout: ENGINE_REQUEST_TIMEOUT_MS });
    const configs = streamConfigs(settings);
    await ensureStream(jsm, configs.events);
    await ensureStream(jsm, configs.state);
    const kv = await ensureBucket(js, jsm, settings);
    const { eventStream } = settings.names;
    let eventEpoch = streamEpoch(eventStream, (await jsm.streams.info(eventStream)).created);
    const refreshEpoch = async () => {
      eventEpoch = streamEpoch(eventStream, (await jsm.streams.info(eventStream)).created);
      return eventEpoch;
    };
    const upkeep = startUpkeep({
      jsm,
      keep: [
        {
          stream: configs.events.name,
          ensure: async () => {
            await ensureStream(jsm, configs.events);
            await refreshEpoch();
          },
        },
        { stream: configs.state.name, ensure: () => ensureStream(jsm, configs.state) },
        { stream: `KV_${settings.names.bucket}`, ensure: () => ensureBucket(js, jsm, settings).then(() => undefined) },
      ],
      ...(settings.onRepaired === undefined ? {} : { onRepaired: settings.onRepaired }),
      ...(settings.onRepairFailed === undefined ? {} : { onRepairFailed: settings.onRepairFailed }),
      ...(settings.upkeepMs === undefined ? {} : { everyMs: settings.upkeepMs }),
    });
    return {
      nc,
      js,
      jsm,
      kv,
      names: settings.names,
      get eventEpoch() {
        return eventEpoch;
      },
      refreshEpoch,
      close: () => {
        upkeep.stop();
        return nc.close();
      },
    };
  } catch (error) {
    await nc.close();
    throw error;
  }
}
