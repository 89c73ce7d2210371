/**
 * The parts bench/cluster.ts is built of: its own NATS server with JetStream
 * (`/usr/sbin/nats-server -a 127.0.0.1 -p <free port> -js -sd <temp dir>`, as
 * the cluster tests start theirs), a gateway replica or single process
 * (bench/server-process.ts, ready once `/ready` answers 200), the holders of
 * a replica's topics (`status { topics { holders } }`), and light
 * graphql-transport-ws readers run in the bench's own process: one that keeps
 * every trade id it gets (lost and repeated trades are counted exactly) and
 * one that notes when each book arrives (a takeover's first fresh book).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { forkChild, listeningPort, type IpcChild } from './ipc-child.ts';

export const NATS_SERVER_BINARY = '/usr/sbin/nats-server';
const NATS_READY_TIMEOUT_MS = 10_000;
const GATEWAY_READY_TIMEOUT_MS = 30_000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

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

/** CPU seconds (user + system) a process has used, from /proc; undefined when it is gone. */
export function cpuSecondsOf(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    // utime and stime are fields 14 and 15 of stat (11 and 12 after the command), in clock ticks (100 per second on Linux).
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return undefined;
  }
}

export interface NatsServer {
  readonly url: string;
  readonly proc: ChildProcess;
  stop(): Promise<void>;
}

/** A NATS server with JetStream on a free port and a temporary store, removed on stop. */
export async function startNats(): Promise<NatsServer> {
  const port = await freePort();
  const storeDir = mkdtempSync(join(tmpdir(), 'bench-nats-'));
  const proc = spawn(NATS_SERVER_BINARY, ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', storeDir], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  // It has no IPC channel to notice the bench go: never outlive the bench.
  const orphaned = () => proc.kill('SIGKILL');
  process.once('exit', orphaned);
  const stop = async () => {
    process.off('exit', orphaned);
    if (proc.exitCode === null && proc.signalCode === null) {
      const exited = new Promise((r) => proc.once('exit', r));
      proc.kill('SIGKILL');
      await exited;
    }
    rmSync(storeDir, { recursive: true, force: true });
  };
  try {
    await new Promise<void>((resolve, reject) => {
      let output = '';
      const timer = setTimeout(() => reject(new Error(`nats-server not ready: ${output.slice(-300)}`)), NATS_READY_TIMEOUT_MS);
      proc.once('error', (error) => {
        clearTimeout(timer);
        reject(error);
      });
      proc.stderr?.on('data', (chunk: Buffer) => {
        output += String(chunk);
        if (!output.includes('Server is ready')) return;
        clearTimeout(timer);
        resolve();
      });
      proc.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`nats-server exited (${code}): ${output.slice(-300)}`));
      });
    });
  } catch (error) {
    await stop();
    throw error;
  }
  return { url: `nats://127.0.0.1:${port}`, proc, stop };
}

export interface Gateway {
  /** Its node id in a cluster ('single' for the single process). */
  readonly node: string;
  readonly port: number;
  readonly child: IpcChild;
}

/**
 * A gateway process on the firehose (bench/server-process.ts), a replica of `cluster` when given; resolves once `/ready` is 200.
 * `profileDir`: it writes V8 CPU profiles (its main thread's, tsx's loader thread's) to `cluster-<node>/` there when it exits (not when killed).
 */
export async function startGateway(
  firehoseUrl: string,
  node: string,
  cluster?: { natsUrl: string; name: string },
  profileDir?: string,
): Promise<Gateway> {
  const args = ['gateway', firehoseUrl, ...(cluster === undefined ? [] : [JSON.stringify({ ...cluster, nodeId: node })])];
  const profiling = profileDir === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${join(profileDir, `cluster-${node}`)}`];
  const child = forkChild('server-process.ts', args, node, profiling);
  try {
    const port = await listeningPort(child);
    const deadline = Date.now() + GATEWAY_READY_TIMEOUT_MS;
    while (
      (await fetch(`http://127.0.0.1:${port}/ready`).then(
        (r) => r.status,
        () => 0,
      )) !== 200
    ) {
      if (Date.now() > deadline) throw new Error(`${node} not ready within ${GATEWAY_READY_TIMEOUT_MS / 1000} s`);
      await sleep(50);
    }
    return { node, port, child };
  } catch (error) {
    await child.stop();
    throw error;
  }
}

/** The nodes holding a replica's topics of `channel` (from its `status`), or undefined when it does not answer. */
export async function holdersOf(port: number, channel: string): Promise<string[] | undefined> {
  const response = await fetch(`http://127.0.0.1:${port}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query: '{ status { topics { channel holders } } }' }),
    signal: AbortSignal.timeout(2_000),
  }).catch(() => undefined);
  if (response === undefined || !response.ok) return undefined;
  const body = (await response.json().catch(() => undefined)) as
    { data?: { status?: { topics?: Array<{ channel: string; holders: string[] }> } } } | undefined;
  const topics = body?.data?.status?.topics;
  if (topics === undefined) return undefined;
  return [...new Set(topics.filter((t) => t.channel === channel).flatMap((t) => t.holders))].sort();
}

/** One graphql-transport-ws subscription read in this process. */
export interface Reader {
  readonly node: string;
  /** Forgets what was read so far (a counting window starts). */
  reset(): void;
  close(): void;
}

/** Subscribes `query` on `port` and hands each `next` payload to `onPayload`; resolves once the first arrived. */
function subscribe(port: number, query: string, onPayload: (payload: Record<string, unknown>) => void): Promise<WebSocket> {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/graphql`, 'graphql-transport-ws', { perMessageDeflate: false });
  return new Promise<WebSocket>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no first result of ${query.slice(0, 40)} within 15 s`)), 15_000);
    ws.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    ws.on('open', () => ws.send('{"type":"connection_init","payload":{}}'));
    ws.on('message', (data) => {
      const message = JSON.parse(String(data)) as { type: string; payload?: Record<string, unknown> };
      if (message.type === 'connection_ack') ws.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query } }));
      else if (message.type === 'ping') ws.send('{"type":"pong"}');
      else if (message.type === 'next' && message.payload !== undefined) {
        onPayload(message.payload);
        clearTimeout(timer);
        resolve(ws);
      }
    });
  });
}

export interface TradeReader extends Reader {
  /** Distinct trade ids since the last reset. */
  unique(): number;
  /** Trades received again (an id already seen) since the last reset. */
  repeated(): number;
  /** STREAM_INTERRUPTED errors since the last reset (the client was told of a gap). */
  interruptions(): number;
  /** When the last trade arrived (epoch ms). */
  lastAt(): number;
}

/** Reads `futuresTrades(symbol)` on `port`, keeping every trade id. */
export async function readTrades(port: number, node: string, symbol: string): Promise<TradeReader> {
  let ids = new Set<string>();
  let repeated = 0;
  let interruptions = 0;
  let lastAt = 0;
  const ws = await subscribe(port, `subscription { futuresTrades(symbol: "${symbol}") { id timestamp } }`, (payload) => {
    const data = payload['data'] as { futuresTrades?: Array<{ id: string }> } | null | undefined;
    for (const trade of data?.futuresTrades ?? []) {
      if (ids.has(trade.id)) repeated++;
      else ids.add(trade.id);
      lastAt = Date.now();
    }
    const errors = (payload['errors'] as Array<{ extensions?: { code?: string } }> | undefined) ?? [];
    interruptions += errors.filter((e) => e.extensions?.code === 'STREAM_INTERRUPTED').length;
  });
  return {
    node,
    reset: () => {
      ids = new Set();
      repeated = 0;
      interruptions = 0;
    },
    unique: () => ids.size,
    repeated: () => repeated,
    interruptions: () => interruptions,
    lastAt: () => lastAt,
    close: () => ws.terminate(),
  };
}

export interface BookReader extends Reader {
  /** When the first book whose own time is after `since` arrived (epoch ms), if one has. */
  firstFreshAfter(since: number): number | undefined;
}

/** Reads `futuresOrderBook(symbol, depth: 10)` on `port`, noting each book's time and arrival. */
export async function readBooks(port: number, node: string, symbol: string): Promise<BookReader> {
  let arrivals: Array<{ at: number; ts: number }> = [];
  const ws = await subscribe(
    port,
    `subscription { futuresOrderBook(symbol: "${symbol}", depth: 10) { symbol timestamp bids { price volume } asks { price volume } } }`,
    (payload) => {
      const book = (payload['data'] as { futuresOrderBook?: { timestamp: string } } | null | undefined)?.futuresOrderBook;
      if (book !== undefined) arrivals.push({ at: Date.now(), ts: Date.parse(book.timestamp) });
    },
  );
  return {
    node,
    reset: () => {
      arrivals = [];
    },
    firstFreshAfter: (since) => arrivals.find((a) => a.ts > since)?.at,
    close: () => ws.terminate(),
  };
}
