/**
 * The start and memory budget of issue 12, side by side with the raw relay:
 * the compiled gateway started as an operator starts it (`npm start`, against
 * an external exchange: the bench firehose), timed from the spawn to `/ready`
 * answering 200, then its idle RSS and heap once started (nothing subscribed),
 * with metrics on and with METRICS=off. The raw relay (bench/server-process.ts,
 * run through tsx: it has no build) is timed to its listening line and read
 * the same way.
 *
 * RSS is read from /proc/<pid>/status of the node process itself (npm's child:
 * `npm start` execs node, so it is one process under npm); heap from the
 * gateway's own `/metrics` (`nodejs_heap_size_used_bytes`) when metrics are on.
 */
import { execSync, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startFirehose } from './firehose.ts';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
/** Targets of issue 12. */
export const START_TARGET_MS = 1_500;
export const IDLE_RSS_TARGET_MIB = 120;
/** How long a started server idles before its memory is read. */
const IDLE_SETTLE_MS = 3_000;
const READY_POLL_MS = 10;
const START_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 5_000;
const MiB = 1024 * 1024;

export interface StartupRun {
  readonly server: string;
  /** Spawn to /ready 200 (gateway) or to the listening line (relay). */
  readonly startMs: number | null;
  readonly idleRssMiB: number | null;
  readonly idleHeapMiB: number | null;
  readonly failure?: string;
}

export interface StartupResult {
  readonly runs: readonly StartupRun[];
}

async function freePort(): Promise<number> {
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

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** RSS (MiB) of `pid` from /proc, or null. */
function rssOf(pid: number | undefined): number | null {
  if (pid === undefined) return null;
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match === null ? null : Math.round((Number(match[1]) / 1024) * 10) / 10;
  } catch {
    return null;
  }
}

/** The first child process of `pid` (npm's `sh -c "exec node …"`, which became node). */
function childOf(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const first = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/)[0];
    return first === undefined || first === '' ? undefined : Number(first);
  } catch {
    return undefined;
  }
}

async function stop(proc: ChildProcess, inner: number | undefined): Promise<void> {
  if (proc.exitCode !== null) return;
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  proc.kill('SIGTERM');
  const timer = setTimeout(() => {
    if (inner !== undefined) {
      try {
        process.kill(inner, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    proc.kill('SIGKILL');
  }, STOP_TIMEOUT_MS);
  await exited;
  clearTimeout(timer);
}

async function heapFromMetrics(port: number): Promise<number | null> {
  const text = await fetch(`http://127.0.0.1:${port}/metrics`).then(
    (r) => (r.ok ? r.text() : ''),
    () => '',
  );
  const match = /^nodejs_heap_size_used_bytes (\S+)$/m.exec(text);
  return match === null ? null : Math.round((Number(match[1]) / MiB) * 10) / 10;
}

/** `npm start` against the firehose: time to /ready, then idle memory. */
async function gatewayRun(firehoseUrl: string, metrics: boolean): Promise<StartupRun> {
  const server = metrics ? 'gateway (npm start)' : 'gateway (npm start, METRICS=off)';
  const port = await freePort();
  const env = {
    ...process.env,
    UPSTREAM: 'coincall',
    COINCALL_API_KEY: 'bench-key',
    COINCALL_API_SECRET: 'bench-secret',
    COINCALL_OPTIONS_WS_URL: `${firehoseUrl}/options`,
    COINCALL_FUTURES_WS_URL: `${firehoseUrl}/futures`,
    PORT: String(port),
    HOST: '127.0.0.1',
    LOG_LEVEL: 'warn',
    METRICS: metrics ? 'on' : 'off',
  };
  const began = performance.now();
  const proc = spawn('npm', ['start', '--silent'], { cwd: ROOT, env, stdio: 'ignore' });
  let startMs: number | null = null;
  try {
    while (performance.now() - began < START_TIMEOUT_MS) {
      const status = await fetch(`http://127.0.0.1:${port}/ready`).then(
        (r) => r.status,
        () => 0,
      );
      if (status === 200) {
        startMs = Math.round(performance.now() - began);
        break;
      }
      if (proc.exitCode !== null) break;
      await sleep(READY_POLL_MS);
    }
    if (startMs === null)
      return { server, startMs, idleRssMiB: null, idleHeapMiB: null, failure: `/ready not 200 within ${START_TIMEOUT_MS / 1000} s` };
    await sleep(IDLE_SETTLE_MS);
    const node = childOf(proc.pid);
    return { server, startMs, idleRssMiB: rssOf(node), idleHeapMiB: metrics ? await heapFromMetrics(port) : null };
  } finally {
    await stop(proc, childOf(proc.pid));
  }
}

/** The raw relay (through tsx): time to its listening line, then idle RSS. */
async function relayRun(firehoseUrl: string): Promise<StartupRun> {
  const server = 'raw relay (node --import tsx)';
  const began = performance.now();
  const proc = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'bench', 'server-process.ts'), 'relay', firehoseUrl], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  try {
    const startMs = await new Promise<number | null>((resolve) => {
      const timer = setTimeout(() => resolve(null), START_TIMEOUT_MS);
      proc.stdout?.on('data', (d: Buffer) => {
        if (String(d).includes('{"port"')) {
          clearTimeout(timer);
          resolve(Math.round(performance.now() - began));
        }
      });
      proc.once('exit', () => resolve(null));
    });
    if (startMs === null) return { server, startMs, idleRssMiB: null, idleHeapMiB: null, failure: 'never listened' };
    await sleep(IDLE_SETTLE_MS);
    return { server, startMs, idleRssMiB: rssOf(proc.pid), idleHeapMiB: null };
  } finally {
    await stop(proc, undefined);
  }
}

/** Builds (unless told not to), then times `repeats` gateway starts, one with METRICS=off, and the relay. */
export async function measureStartup(options: { repeats: number; build: boolean }): Promise<StartupResult> {
  if (options.build) execSync('npm run build --silent', { cwd: ROOT, stdio: 'ignore' });
  const firehose = await startFirehose({ rate: 0 });
  try {
    const runs: StartupRun[] = [];
    for (let i = 0; i < options.repeats; i++) runs.push(await gatewayRun(firehose.url, true));
    runs.push(await gatewayRun(firehose.url, false));
    runs.push(await relayRun(firehose.url));
    return { runs };
  } finally {
    await firehose.close();
  }
}

const show = (x: number | null, unit: string) => (x === null ? '–' : `${x.toLocaleString('en-US')} ${unit}`);

/** The report's section: every run, and the targets against the median gateway start. */
export function startupMarkdown(result: StartupResult, idleHeapPerSub: string): string {
  const gateway = result.runs.filter((r) => r.server === 'gateway (npm start)' && r.startMs !== null);
  const starts = gateway.map((r) => r.startMs ?? 0).sort((a, b) => a - b);
  const median = starts.length === 0 ? null : (starts[Math.floor(starts.length / 2)] ?? null);
  const rss = gateway.map((r) => r.idleRssMiB ?? Infinity);
  const worstRss = rss.length === 0 ? null : Math.max(...rss);
  return [
    '## Start and idle memory (issue 12)',
    '',
    "The compiled gateway as an operator starts it (`npm start`, one node process), against an external exchange (the bench firehose, nothing subscribed): from the spawn of `npm start` to `/ready` answering 200, then RSS (from /proc, the node process) and live heap (its `/metrics`) after 3 s idle. The raw relay has no build: it runs through tsx (its start includes tsx's loader).",
    '',
    '| server | start → ready | idle RSS | idle heap | |',
    '|---|--:|--:|--:|---|',
    ...result.runs.map(
      (r) =>
        `| ${r.server} | ${show(r.startMs, 'ms')} | ${show(r.idleRssMiB, 'MiB')} | ${show(r.idleHeapMiB, 'MiB')} | ${r.failure ?? ''} |`,
    ),
    '',
    `Targets: start ≤ ${START_TARGET_MS} ms (median of ${starts.length}: ${show(median, 'ms')}, ${median !== null && median <= START_TARGET_MS ? 'pass' : '**FAIL**'}); ` +
      `idle RSS ≤ ${IDLE_RSS_TARGET_MIB} MiB (worst: ${show(worstRss, 'MiB')}, ${worstRss !== null && worstRss <= IDLE_RSS_TARGET_MIB ? 'pass' : '**FAIL**'}). ` +
      `Idle heap per subscription (from the fan-out runs above): ${idleHeapPerSub}.`,
    '',
  ].join('\n');
}
