/**
 * An engine for one test: a unique cluster name on a NATS server (the test file's own, `useOwnNatsServer`), its streams and bucket deleted when the test is disposed.
 */
import { randomBytes } from 'node:crypto';
import { openEngine, type Engine, type EngineSettings } from '../../src/sources/cluster/engine.ts';
import { clusterNames } from '../../src/sources/cluster/subjects.ts';
import { onDispose } from './gateway.ts';
import { natsUrl } from './nats-server.ts';

export function uniqueClusterName(): string {
  return `t${randomBytes(5).toString('hex')}`;
}

export function engineSettings(overrides: Partial<EngineSettings> & { name?: string } = {}): EngineSettings {
  const { name, ...rest } = overrides;
  return {
    servers: natsUrl(),
    names: clusterNames(name ?? uniqueClusterName()),
    retentionMs: 60_000,
    maxEventsPerTopic: 100,
    leaseTtlMs: 1_500,
    node: 'test',
    ...rest,
  };
}

/** Opens an engine; on dispose it closes and (for the first one of a name) deletes the streams and bucket. */
export async function testEngine(settings: EngineSettings, cleanUp = true): Promise<Engine> {
  const engine = await openEngine(settings);
  onDispose(async () => {
    if (cleanUp && !engine.nc.isClosed()) {
      for (const stream of [settings.names.eventStream, settings.names.stateStream, `KV_${settings.names.bucket}`])
        await engine.jsm.streams.delete(stream).catch(() => undefined);
    }
    await engine.close().catch(() => undefined);
  });
  return engine;
}
