/**
 * `npm start` as a user runs it: the real entry point in its own process.
 * It starts on the simulator without configuration, streams, and on SIGTERM
 * completes subscriptions and exits 0; bad configuration stops it at once
 * with one message that lists every problem.
 */
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { describe, expect, it } from 'vitest';

const require = createRequire(import.meta.url);
const TSX = require.resolve('tsx/cli');
const MAIN = new URL('../src/main.ts', import.meta.url).pathname;

function start(env: Record<string, string>) {
  const child = spawn(process.execPath, [TSX, MAIN], {
    env: { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, exited, output: () => out };
}

describe('npm start', () => {
  it('runs on the simulator, streams, and shuts down cleanly on SIGTERM', async () => {
    const app = start({ PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', SIMULATOR_PORT: '0' });
    try {
      const deadline = Date.now() + 20_000;
      let url: string | undefined;
      while (url === undefined && Date.now() < deadline) {
        url = /listening on (http:\/\/[^\s"]+)/.exec(app.output())?.[1];
        await new Promise((r) => setTimeout(r, 50));
      }
      expect(url).toBeDefined();
      expect(app.output()).toContain('SIMULATED DATA');
      const client = createClient({ url: (url as string).replace(/^http/, 'ws'), webSocketImpl: WebSocket, retryAttempts: 0 });
      const events: unknown[] = [];
      const completed = new Promise<void>((resolve, reject) => {
        client.subscribe({ query: 'subscription { futuresIndexPrice(symbol: "BTCUSD") { symbol } }' }, {
          next: (value) => {
            events.push(value);
            if (events.length === 1) app.child.kill('SIGTERM');
          },
          error: reject,
          complete: () => resolve(),
        });
      });
      await completed;
      expect(events[0]).toEqual({ data: { futuresIndexPrice: { symbol: 'BTCUSD' } } });
      expect(await app.exited).toBe(0);
      expect(app.output()).toContain('shutting down');
      await client.dispose();
    } finally {
      app.child.kill('SIGKILL');
    }
  }, 40_000);

  it('refuses bad configuration with one message listing every problem', async () => {
    const app = start({ PORT: 'eighty', UPSTREAM: 'moon', LOG_LEVEL: 'loud', COINCALL_API_KEY: 'k' });
    expect(await app.exited).toBe(1);
    const output = app.output();
    expect(output).toContain('Invalid configuration');
    for (const name of ['PORT', 'UPSTREAM', 'LOG_LEVEL', 'COINCALL_API_SECRET']) expect(output).toContain(name);
  }, 30_000);
});
