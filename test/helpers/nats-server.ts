/**
 * An own NATS server with JetStream for a test that breaks things (kills,
 * pauses or restarts the engine): `/usr/sbin/nats-server -a 127.0.0.1 -p <free
 * port> -js -sd <temp dir>`. The port is fixed for the server's life, so a
 * restart comes back at the same URL with the same store. `dispose()` kills it
 * and removes the store.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, connect as tcpConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { onDispose } from './gateway.ts';

export const NATS_SERVER_BINARY = '/usr/sbin/nats-server';
let fileServer: NatsServer | undefined;

/**
 * Gives the calling test file a NATS server of its own (started before its
 * tests, stopped after them): no test depends on the machine's shared server.
 */
export function useOwnNatsServer(): void {
  beforeAll(async () => {
    fileServer = await startNatsServer(false);
  });
  afterAll(async () => {
    await fileServer?.dispose();
    fileServer = undefined;
  });
}

/** The URL of the file's own NATS server (`useOwnNatsServer`). */
export function natsUrl(): string {
  if (fileServer === undefined) throw new Error('call useOwnNatsServer() in this test file');
  return fileServer.url;
}
const READY_TIMEOUT_MS = 10_000;

export interface NatsServer {
  readonly url: string;
  readonly port: number;
  /** Stops the server with SIGKILL (no goodbye), keeping its store. */
  kill(): Promise<void>;
  /** Starts it again on the same port and store. */
  start(): Promise<void>;
  dispose(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Resolves once the server accepts a TCP connection and has said it is ready. */
function whenReady(child: ChildProcess): Promise<void> {
  return new Promise((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => reject(new Error(`nats-server not ready: ${output}`)), READY_TIMEOUT_MS);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('Server is ready')) {
        clearTimeout(timer);
        child.stderr?.off('data', onData);
        resolve();
      }
    };
    child.stderr?.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`nats-server exited (${code}): ${output}`));
    });
  });
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = tcpConnect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** `config`: a configuration file's text (e.g. an `authorization` block), given with `-c` besides the usual flags. */
export async function startNatsServer(disposeAfterTest = true, { config }: { config?: string } = {}): Promise<NatsServer> {
  const port = await freePort();
  const storeDir = mkdtempSync(join(tmpdir(), 'nats-js-'));
  const configArgs: string[] = [];
  if (config !== undefined) {
    const file = join(storeDir, 'test.conf');
    writeFileSync(file, config);
    configArgs.push('-c', file);
  }
  let child: ChildProcess | undefined;
  const start = async () => {
    child = spawn(NATS_SERVER_BINARY, [...configArgs, '-a', '127.0.0.1', '-p', String(port), '-js', '-sd', storeDir], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    await whenReady(child);
    while (!(await portOpen(port))) await new Promise((r) => setTimeout(r, 20));
  };
  const kill = async () => {
    const running = child;
    child = undefined;
    if (running === undefined || running.exitCode !== null) return;
    const exited = new Promise((r) => running.once('exit', r));
    running.kill('SIGKILL');
    await exited;
  };
  await start();
  const server: NatsServer = {
    url: `nats://127.0.0.1:${port}`,
    port,
    kill,
    start,
    dispose: async () => {
      await kill();
      rmSync(storeDir, { recursive: true, force: true });
    },
  };
  if (disposeAfterTest) onDispose(() => server.dispose());
  return server;
}
