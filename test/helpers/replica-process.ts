/**
 * A gateway replica as a separate process, as operators run one: `node
 * --import tsx src/main.ts`, configured by its environment only (the test's
 * own nats-server, a unique CLUSTER_NAME, a node id, a short lease TTL, the
 * URLs of a stand-in exchange running in the test process, PORT 0 on
 * 127.0.0.1). It is ready once it has logged the URL it listens on and its
 * `/ready` answers 200.
 *
 * The failover tests break it the ways a machine does: `kill('SIGKILL')` (no
 * goodbye), `kill('SIGTERM')` (a rolling restart), `pause()` / `resume()`
 * (SIGSTOP / SIGCONT: a holder frozen past its lease). Every replica is killed
 * with SIGKILL when the test is disposed and when the test process exits, and
 * a replica whose test process died ends itself (`replica-guard.ts`: its
 * stdin closes), so none outlives its test.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { connect } from '@nats-io/transport-node';
import { Kvm } from '@nats-io/kv';
import { leaseHolder } from '../../src/sources/cluster/lease.ts';
import { clusterNames, topicToken } from '../../src/sources/cluster/subjects.ts';
import type { FakeExchange } from './fake-exchange.ts';
import { SERVER_KEY, startFakeExchange } from './fake-exchange.ts';
import { onDispose, queryData } from './gateway.ts';
import { startRestExchange, type RestExchange } from './rest-exchange.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const GUARD = fileURLToPath(new URL('./replica-guard.ts', import.meta.url));
/** tsx compiles the sources at start: slow on a busy 2-core machine (over 30 s seen with other test runs beside). */
export const REPLICA_START_TIMEOUT_MS = 90_000;
/** How long a SIGTERM'd replica may take to drain before it is killed. */
const STOP_TIMEOUT_MS = 15_000;
/** The short lease of the failover tests (the gateway allows 500 ms and up). */
export const TEST_LEASE_TTL_MS = 2_000;
/** Output lines kept per replica, for a failing test's message. */
const KEPT_LINES = 2_000;
/** The gateway's pino line announcing its URL. */
const LISTENING = 'Coincall GraphQL gateway listening on ';

/** Every replica process still running, killed when the test process exits. */
const running = new Set<ChildProcess>();
let exitHook = false;

export interface ReplicaSettings {
  /** The test's own nats-server (`useOwnNatsServer()` / `startNatsServer()`). */
  readonly natsUrl: string;
  /** Unique per test (`uniqueClusterName()`). */
  readonly clusterName: string;
  /** CLUSTER_NODE_ID. */
  readonly node: string;
  /** The stand-in exchange's WebSocket URLs. */
  readonly exchange: { readonly options: string; readonly futures: string };
  /** The stand-in REST listing (`startReplicaExchange`); unset: an unreachable URL (start waits 3 s for it). */
  readonly restUrl?: string;
  readonly leaseTtlMs?: number;
  readonly eventPublishers?: number;
  /** More environment (LOG_LEVEL, limits); wins over the above. */
  readonly env?: Readonly<Record<string, string>>;
}

export interface ExitStatus {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export interface ReplicaProcess {
  readonly settings: ReplicaSettings;
  readonly node: string;
  readonly pid: number;
  /** `http://127.0.0.1:PORT/graphql`. */
  readonly url: string;
  /** `ws://127.0.0.1:PORT/graphql`. */
  readonly wsUrl: string;
  /** `http://127.0.0.1:PORT`. */
  readonly origin: string;
  /** Its output (stdout and stderr), one entry per line, the last KEPT_LINES. */
  readonly lines: readonly string[];
  readonly exited: Promise<ExitStatus>;
  /** Still running (a paused one is running). */
  readonly alive: boolean;
  /** Sends `signal` (SIGTERM: after a SIGCONT, so a paused replica can drain; killed if it does not exit in time) and waits for the exit. */
  kill(signal?: 'SIGKILL' | 'SIGTERM'): Promise<ExitStatus>;
  /** SIGSTOP: frozen, timers and sockets included. */
  pause(): void;
  /** SIGCONT. */
  resume(): void;
  /** POSTs a query; its `data`, or throws with its errors. */
  query(text: string): Promise<unknown>;
  /** The text of its `/metrics`. */
  metrics(): Promise<string>;
}

function environment(settings: ReplicaSettings): Record<string, string> {
  const inherited = Object.fromEntries(
    ['PATH', 'HOME', 'TMPDIR', 'NODE_PATH'].flatMap((name) => {
      const value = process.env[name];
      return value === undefined ? [] : [[name, value]];
    }),
  );
  return {
    ...inherited,
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'info',
    UPSTREAM: 'coincall',
    COINCALL_API_KEY: SERVER_KEY.apiKey,
    COINCALL_API_SECRET: SERVER_KEY.apiSecret,
    COINCALL_OPTIONS_WS_URL: settings.exchange.options,
    COINCALL_FUTURES_WS_URL: settings.exchange.futures,
    COINCALL_REST_URL: settings.restUrl ?? 'http://127.0.0.1:1',
    CLUSTER_NATS_URL: settings.natsUrl,
    CLUSTER_NAME: settings.clusterName,
    CLUSTER_NODE_ID: settings.node,
    CLUSTER_LEASE_TTL_MS: String(settings.leaseTtlMs ?? TEST_LEASE_TTL_MS),
    CLUSTER_EVENT_PUBLISHERS: String(settings.eventPublishers ?? 2),
    RESUME_WINDOW_MS: '60000',
    RESUME_MAX_EVENTS_PER_TOPIC: '5000',
    ...settings.env,
  };
}

function killEveryReplicaOnExit(): void {
  if (exitHook) return;
  exitHook = true;
  process.once('exit', () => {
    for (const child of running) child.kill('SIGKILL');
  });
}

/** The URL from the gateway's "listening on" log line, once it appears in `line`. */
function listeningUrl(line: string): string | undefined {
  if (!line.includes(LISTENING)) return undefined;
  try {
    const parsed: unknown = JSON.parse(line);
    if (typeof parsed === 'object' && parsed !== null && 'url' in parsed && typeof parsed.url === 'string') return parsed.url;
  } catch {
    return undefined;
  }
  return undefined;
}

async function untilReady(origin: string, exited: () => boolean, deadline: number, what: () => string): Promise<void> {
  for (;;) {
    if (exited()) throw new Error(`replica exited before it was ready:\n${what()}`);
    const status = await fetch(`${origin}/ready`).then(
      (response) => response.status,
      () => 0,
    );
    if (status === 200) return;
    if (Date.now() > deadline) throw new Error(`replica not ready (last /ready: ${status}):\n${what()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Starts a replica process and resolves once it serves (`/ready` 200); killed when the test is disposed. */
export async function startReplica(settings: ReplicaSettings): Promise<ReplicaProcess> {
  killEveryReplicaOnExit();
  const child = spawn(process.execPath, ['--import', 'tsx', '--import', GUARD, 'src/main.ts'], {
    cwd: ROOT,
    env: environment(settings),
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  running.add(child);
  const lines: string[] = [];
  let urlSeen: ((url: string) => void) | undefined;
  const echo = process.env['REPLICA_LOGS'] === '1';
  const reader = (stream: NodeJS.ReadableStream) => {
    let rest = '';
    stream.on('data', (chunk: Buffer) => {
      const parts = (rest + chunk.toString('utf8')).split('\n');
      rest = parts.pop() ?? '';
      for (const line of parts) {
        lines.push(line);
        if (lines.length > KEPT_LINES) lines.shift();
        if (echo) process.stderr.write(`[${settings.node}] ${line}\n`);
        const url = listeningUrl(line);
        if (url !== undefined) urlSeen?.(url);
      }
    });
  };
  reader(child.stdout);
  reader(child.stderr);
  let status: ExitStatus | undefined;
  const exited = new Promise<ExitStatus>((resolve) =>
    child.once('exit', (code, signal) => {
      running.delete(child);
      status = { code, signal };
      resolve(status);
    }),
  );
  // Kept in the guard's pipe; a write on a pipe whose reader is gone must not throw in the test.
  child.stdin.on('error', () => undefined);

  const kill = async (signal: 'SIGKILL' | 'SIGTERM' = 'SIGKILL'): Promise<ExitStatus> => {
    if (status !== undefined) return status;
    if (signal === 'SIGTERM') {
      child.kill('SIGCONT');
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
      const result = await exited;
      clearTimeout(timer);
      return result;
    }
    child.kill('SIGKILL');
    return exited;
  };
  onDispose(() => kill('SIGKILL').then(() => undefined));

  const output = () => lines.join('\n');
  const deadline = Date.now() + REPLICA_START_TIMEOUT_MS;
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`replica ${settings.node} did not say where it listens:\n${output()}`)),
      REPLICA_START_TIMEOUT_MS,
    );
    urlSeen = (seen) => {
      clearTimeout(timer);
      resolve(seen);
    };
    void exited.then((s) => {
      clearTimeout(timer);
      reject(new Error(`replica ${settings.node} exited (${String(s.code ?? s.signal)}) before listening:\n${output()}`));
    });
  });
  urlSeen = undefined;
  const origin = new URL(url).origin;
  await untilReady(origin, () => status !== undefined, deadline, output);

  return {
    settings,
    node: settings.node,
    pid: child.pid ?? 0,
    url,
    wsUrl: url.replace(/^http/, 'ws'),
    origin,
    lines,
    exited,
    get alive() {
      return status === undefined;
    },
    kill,
    pause: () => void child.kill('SIGSTOP'),
    resume: () => void child.kill('SIGCONT'),
    query: (text) => queryData(url, text),
    metrics: async () => (await fetch(`${origin}/metrics`)).text(),
  };
}

export interface ReplicaExchange {
  /** The stand-in exchange's WebSocket side (`fake-exchange.ts`). */
  readonly exchange: FakeExchange;
  /** Its REST listing: the futures `symbols` and no options. */
  readonly rest: RestExchange;
  /** What `ReplicaSettings` takes of it. */
  readonly urls: { readonly exchange: { readonly options: string; readonly futures: string }; readonly restUrl: string };
}

/** A stand-in exchange for replica processes (WebSocket and REST listing), closed when the test is disposed. */
export async function startReplicaExchange(
  options: Parameters<typeof startFakeExchange>[0] = {},
  symbols: readonly string[] = ['BTCUSD', 'ETHUSD'],
): Promise<ReplicaExchange> {
  const exchange = await startFakeExchange(options);
  onDispose(() => exchange.close());
  const rest = await startRestExchange({ futures: symbols, options: {} });
  onDispose(() => rest.close());
  return { exchange, rest, urls: { exchange: exchange.urls, restUrl: rest.url } };
}

/**
 * The nodes holding the BTCUSD topic of a futures `channel` upstream now, read
 * from the replica's engine (its lease keys; `status.topics.holders` says the
 * same, but a query of it costs over MAX_QUERY_COST).
 */
export async function holdersOf(replica: ReplicaProcess, channel: string): Promise<string[]> {
  const nc = await connect({ servers: replica.settings.natsUrl });
  try {
    const kv = await new Kvm(nc).open(clusterNames(replica.settings.clusterName).bucket);
    const topic = `lease.${topicToken(`futures:${channel}:BTCUSD`)}`;
    const found = await Promise.all([0, 1].map((slot) => leaseHolder(kv, `${topic}.${slot}`)));
    return found.filter((node): node is string => node !== undefined).sort();
  } finally {
    await nc.close();
  }
}

/** `replica`'s `status.cluster.engine` (`CONNECTED`, `DISCONNECTED`). */
export async function engineOf(replica: ReplicaProcess): Promise<string> {
  const data = (await replica.query('{ status { cluster { engine } } }')) as { status: { cluster: { engine: string } } };
  return data.status.cluster.engine;
}

/** Polls an asynchronous `check` (a failed one counts as false) until it holds. */
export async function eventually(check: () => Promise<boolean>, what: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
