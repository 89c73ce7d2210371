/**
 * `npm start` as a user runs it: the compiled entry point (dist/main.js, built
 * from the current sources before the tests) in its own process.
 * It starts on the simulator without configuration, streams, and on SIGTERM
 * completes subscriptions and exits 0; bad configuration stops it at once
 * with one message that lists every problem (a bad HOST among them). The signal path is tested as
 * operators meet it: SIGTERM to the `npm start` process (what a process
 * manager sends) and to the Dockerfile's CMD (what `docker stop` sends) must
 * shut the gateway down gracefully and leave no process listening. The same
 * holds for `npm run simulator`. The gateway's last line says it stopped; a cluster
 * replica names its cluster settings (no NATS credential) in one line at start.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { beforeAll, describe, expect, it } from 'vitest';
import { freePort } from './helpers/nats-server.ts';

const ROOT = new URL('..', import.meta.url).pathname;
/** What `npm start` execs, relative to the project root. */
const MAIN = 'dist/main.js';
const SPAWN_TEST_TIMEOUT_MS = 40_000;
/** `npm run build` type-checks and compiles about 60 files; on a busy 2-core machine that takes a while. */
const BUILD_TIMEOUT_MS = 120_000;
/** The gateway's pino line announcing its URL, and the one announcing shutdown. */
const LISTENING = /"pid":(\d+).*listening on (http:\/\/[^\s"]+)/;
const SHUTTING_DOWN = '"msg":"shutting down"';
/** The last line, once everything closed. */
const STOPPED = '"msg":"stopped"';

interface Launched {
  readonly exited: Promise<number | null>;
  output(): string;
  /** Resolves with the first match of `pattern` in the output; rejects if the process exits first. */
  until(pattern: RegExp): Promise<RegExpExecArray>;
  /** Resolves with the gateway's URL and process id once it logs that it listens. */
  listening(): Promise<{ readonly url: string; readonly gatewayPid: number }>;
  kill(signal: NodeJS.Signals): void;
  /** After a failure: SIGKILL to the started process and to the gateway below it, so that no orphan outlives the test. */
  dispose(): void;
}

function launch(command: string, args: readonly string[], env: Record<string, string>): Launched {
  const child = spawn(command, args, {
    cwd: ROOT,
    env: { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const watchers = new Set<() => void>();
  const onData = (d: Buffer) => {
    out += d.toString();
    for (const watcher of watchers) watcher();
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const until = (pattern: RegExp) =>
    new Promise<RegExpExecArray>((resolve, reject) => {
      const check = () => {
        const match = pattern.exec(out);
        if (match === null) return;
        watchers.delete(check);
        resolve(match);
      };
      watchers.add(check);
      check();
      void exited.then((code) => reject(new Error(`exited with ${String(code)} before printing ${String(pattern)}:\n${out}`)));
    });
  return {
    exited,
    output: () => out,
    until,
    listening: async () => {
      const match = await until(LISTENING);
      return { gatewayPid: Number(match[1]), url: match[2] as string };
    },
    kill: (signal) => child.kill(signal),
    dispose: () => {
      child.kill('SIGKILL');
      const gatewayPid = Number(LISTENING.exec(out)?.[1]);
      if (Number.isInteger(gatewayPid) && alive(gatewayPid)) process.kill(gatewayPid, 'SIGKILL');
    },
  };
}

const GATEWAY_ENV = { PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info' };
const startGateway = () => launch(process.execPath, [MAIN], GATEWAY_ENV);

/**
 * Builds dist/ from the current sources, so that no test runs a stale build.
 * Type checking is `npm run typecheck`'s job (and `npm ci`'s build does it):
 * here `--noCheck` only emits.
 */
function build(): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('npm', ['run', 'build', '--', '--noCheck'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`npm run build exited with ${String(code)}:\n${out}`))));
  });
}

beforeAll(build, BUILD_TIMEOUT_MS);

/** Whether a process with this id still exists. */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Whether anything accepts TCP connections on the URL's port. */
function accepting(url: string): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = connect({ host: hostname, port: Number(port) });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** The exec-form CMD of the Dockerfile, e.g. `["node", "dist/main.js"]`. */
function dockerCmd(): string[] {
  const line = readFileSync(new URL('../Dockerfile', import.meta.url), 'utf8')
    .split('\n')
    .find((l) => l.startsWith('CMD '));
  if (line === undefined) throw new Error('the Dockerfile has no CMD');
  return JSON.parse(line.slice('CMD '.length)) as string[];
}

/** Starts, waits until it answers /health, sends SIGTERM to the started process, and reports how everything ended. */
async function stopWithSigterm(app: Launched) {
  try {
    const { url, gatewayPid } = await app.listening();
    expect((await fetch(new URL('/health', url))).status).toBe(200);
    app.kill('SIGTERM');
    const code = await app.exited;
    return { code, output: app.output(), gatewayAlive: alive(gatewayPid), stillListening: await accepting(url) };
  } finally {
    app.dispose();
  }
}

describe('npm start', () => {
  it(
    'runs on the simulator, streams, and shuts down cleanly on SIGTERM',
    async () => {
      const app = startGateway();
      try {
        const { url } = await app.listening();
        await app.until(/SIMULATED DATA/);
        const client = createClient({ url: url.replace(/^http/, 'ws'), webSocketImpl: WebSocket, retryAttempts: 0 });
        const events: unknown[] = [];
        const completed = new Promise<void>((resolve, reject) => {
          client.subscribe(
            { query: 'subscription { futuresIndexPrice(symbol: "BTCUSD") { symbol } }' },
            {
              next: (value) => {
                events.push(value);
                if (events.length === 1) app.kill('SIGTERM');
              },
              error: reject,
              complete: () => resolve(),
            },
          );
        });
        await completed;
        expect(events[0]).toEqual({ data: { futuresIndexPrice: { symbol: 'BTCUSD' } } });
        expect(await app.exited).toBe(0);
        expect(app.output()).toContain('shutting down');
        expect(app.output()).toContain(STOPPED);
        await client.dispose();
      } finally {
        app.dispose();
      }
    },
    SPAWN_TEST_TIMEOUT_MS,
  );

  it(
    'passes SIGTERM sent to the npm process on to the gateway: it shuts down, every process exits 0, nothing is left listening',
    async () => {
      const ended = await stopWithSigterm(launch('npm', ['start'], GATEWAY_ENV));
      expect(ended.output).toContain(SHUTTING_DOWN);
      expect(ended.code, "npm exec'd the gateway: its exit code is the gateway's").toBe(0);
      expect(ended.gatewayAlive, 'the gateway process is gone').toBe(false);
      expect(ended.stillListening, 'nothing accepts connections on the port').toBe(false);
    },
    SPAWN_TEST_TIMEOUT_MS,
  );

  it(
    "stops gracefully when a container stops: SIGTERM to the Dockerfile's CMD exits 0",
    async () => {
      const [command, ...args] = dockerCmd();
      const ended = await stopWithSigterm(launch(command as string, args, GATEWAY_ENV));
      expect(ended.output).toContain(SHUTTING_DOWN);
      expect(ended.code).toBe(0);
      expect(ended.gatewayAlive).toBe(false);
      expect(ended.stillListening).toBe(false);
    },
    SPAWN_TEST_TIMEOUT_MS,
  );

  it(
    'writes readable lines with LOG_FORMAT=pretty, down to the last one before exit',
    async () => {
      const app = launch(process.execPath, [MAIN], { ...GATEWAY_ENV, LOG_FORMAT: 'pretty' });
      try {
        const [, url] = await app.until(/INFO.*listening on (http:\/\/\S+)/);
        expect((await fetch(new URL('/health', url))).status).toBe(200);
        app.kill('SIGTERM');
        expect(await app.exited).toBe(0);
        expect(app.output()).toMatch(/INFO.*shutting down/);
        expect(app.output()).toMatch(/INFO.*stopped/);
        expect(app.output()).not.toContain('"msg":');
      } finally {
        app.dispose();
      }
    },
    SPAWN_TEST_TIMEOUT_MS,
  );

  it(
    "names a replica's cluster settings in one start-up line, without the NATS credentials, and stops while NATS is away",
    async () => {
      const natsUrl = `nats://gw:s3cret@127.0.0.1:${await freePort()}`;
      const ended = await stopWithSigterm(
        launch(process.execPath, [MAIN], { ...GATEWAY_ENV, CLUSTER_NATS_URL: natsUrl, CLUSTER_NODE_ID: 'gw-7' }),
      );
      const line = ended.output.split('\n').find((l) => l.includes('"cluster":{'));
      expect(JSON.parse(line ?? '{}')).toMatchObject({
        level: 30,
        cluster: { natsUrl: natsUrl.replace('gw:s3cret', '***'), name: 'coincall', node: 'gw-7', leaseTtlMs: 5_000, eventPublishers: 2 },
      });
      expect(ended.output).not.toContain('s3cret');
      expect(ended.output).toContain(STOPPED);
      expect(ended.code).toBe(0);
    },
    SPAWN_TEST_TIMEOUT_MS,
  );

  it(
    'refuses bad configuration with one message listing every problem',
    async () => {
      const app = launch(process.execPath, [MAIN], {
        PORT: 'eighty',
        UPSTREAM: 'moon',
        LOG_LEVEL: 'loud',
        LOG_FORMAT: 'xml',
        COINCALL_API_KEY: 'k',
        HOST: 'not a host',
      });
      expect(await app.exited).toBe(1);
      const output = app.output();
      expect(output).toContain('Invalid configuration');
      for (const name of ['PORT', 'HOST', 'UPSTREAM', 'LOG_LEVEL', 'LOG_FORMAT', 'COINCALL_API_SECRET']) expect(output).toContain(name);
    },
    SPAWN_TEST_TIMEOUT_MS,
  );
});

describe('npm run simulator', () => {
  it(
    'passes SIGTERM sent to the npm process on to the simulator: it closes, exits 0, and nothing is left listening',
    async () => {
      const simulator = launch('npm', ['run', 'simulator'], { SIMULATOR_PORT: '0', SIMULATOR_HOST: '127.0.0.1' });
      try {
        const [, url] = await simulator.until(/options\s+(ws:\/\/\S+)/);
        const httpUrl = (url as string).replace(/^ws/, 'http');
        expect(await accepting(httpUrl)).toBe(true);
        simulator.kill('SIGTERM');
        expect(await simulator.exited, simulator.output()).toBe(0);
        expect(simulator.output()).toContain('SIGTERM: closing the simulator.');
        expect(await accepting(httpUrl), 'nothing accepts connections on the port').toBe(false);
      } finally {
        simulator.dispose();
      }
    },
    SPAWN_TEST_TIMEOUT_MS,
  );
});
