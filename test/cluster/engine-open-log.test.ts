/**
 * The log of a replica whose engine cannot be opened at start
 * (`engine-open-log.ts`): the link retries as before, but the log says the
 * first failure, then at most one line a minute with the attempts since; a
 * NATS server without JetStream (`nats-server` without `-js`, its own here)
 * is said at error level with what to do.
 */
import { spawn } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { linkEngine } from '../../src/sources/cluster/engine-link.ts';
import { ENGINE_NOT_REACHABLE, ENGINE_OPEN_LOG_EVERY_MS, JETSTREAM_NOT_ENABLED } from '../../src/sources/cluster/engine-open-log.ts';
import { clusterNames } from '../../src/sources/cluster/subjects.ts';
import { captureLogs, disposeAll, onDispose, waitFor } from '../helpers/gateway.ts';
import { uniqueClusterName } from '../helpers/cluster-engine.ts';
import { freePort, NATS_SERVER_BINARY } from '../helpers/nats-server.ts';

afterEach(disposeAll);

const settings = (servers: string) => ({
  servers,
  names: clusterNames(uniqueClusterName()),
  retentionMs: 60_000,
  maxEventsPerTopic: 100,
  leaseTtlMs: 1_500,
  node: 'test',
});

/** A NATS server of this test's own without JetStream (no `-js`). */
async function natsWithoutJetStream(): Promise<string> {
  const port = await freePort();
  const child = spawn(NATS_SERVER_BINARY, ['-a', '127.0.0.1', '-p', String(port)], { stdio: ['ignore', 'ignore', 'pipe'] });
  onDispose(async () => {
    if (child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  });
  let output = '';
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  await waitFor(() => output.includes('Server is ready'), 'nats-server without JetStream ready');
  return `nats://127.0.0.1:${port}`;
}

describe('the engine link while the engine cannot be opened', () => {
  it('logs the first failure, then once a minute with the attempts since, retrying as before', async () => {
    const logs = captureLogs();
    let attempts = 0;
    let clock = 1_000_000;
    const link = linkEngine({
      settings: settings('nats://127.0.0.1:1'),
      logger: logs.logger,
      retryMs: 5,
      now: () => clock,
      onChange: () => undefined,
      open: () => {
        attempts++;
        return Promise.reject(new Error('connection refused'));
      },
    });
    onDispose(() => link.close());
    // The old wording's start too: a line per attempt would be counted.
    const said = () => logs.lines.filter((line) => line.msg?.startsWith('cluster engine not reachable yet') === true);
    await waitFor(() => attempts >= 20, 'twenty attempts');
    expect(said()).toHaveLength(1);
    expect(said()[0]).toMatchObject({ level: 'warn', obj: { err: 'connection refused', attempts: 1 } });

    clock += ENGINE_OPEN_LOG_EVERY_MS;
    const before = attempts;
    await waitFor(() => said().length === 2, 'the minute’s line');
    const minute: Record<string, unknown> = { ...said()[1]?.obj };
    expect(said()[1]?.level).toBe('warn');
    expect(minute['sinceMs']).toBe(ENGINE_OPEN_LOG_EVERY_MS);
    // Every attempt since the first line, the one that logged included.
    expect(minute['attempts']).toBeGreaterThanOrEqual(before - 1);
    await waitFor(() => attempts >= before + 20, 'twenty more attempts');
    expect(said()).toHaveLength(2);
  });

  it('says a NATS server without JetStream is a configuration error, at error level, naming -js', async () => {
    const logs = captureLogs();
    const link = linkEngine({
      settings: settings(await natsWithoutJetStream()),
      logger: logs.logger,
      retryMs: 20,
      onChange: () => undefined,
    });
    onDispose(() => link.close());
    await waitFor(() => logs.lines.some((line) => line.msg === JETSTREAM_NOT_ENABLED), 'the configuration error', 10_000);
    const [line] = logs.lines.filter((l) => l.msg === JETSTREAM_NOT_ENABLED);
    expect(line?.level).toBe('error');
    expect(line?.msg).toContain('run nats-server with -js');
    expect(logs.lines.filter((l) => l.msg === ENGINE_NOT_REACHABLE)).toEqual([]);
    expect(link.up).toBe(false);
  });
});
