/**
 * What one subscribe costs the server, per transport, measured as CPU time
 * rather than wall time (the machine is shared): the gateway runs in its own
 * process (bench/server-process.ts), one subscriber of a futures book starts
 * the group, the firehose pauses, and then a burst of N identical subscribes
 * (concurrency C) is charged the server's `process.cpuUsage()` from before
 * the burst until every subscriber has its first message (the group's last
 * book, replayed to each newcomer), divided by N. SSE and multipart run with
 * the fast path (`fast-subscribe.ts`) and without it (`gateway-nofast`:
 * every request through yoga, as before issue 20's fast path). Each variant
 * runs on a fresh server, RUNS times, interleaved, so a busy machine weighs
 * on all alike; the table shows the median and the spread. The probe's own
 * CPU per subscribe (the bench clients' side) is shown beside it.
 *
 *   npm run bench:subscribe-cost [-- --n 1000 --concurrency 250 --runs 3 --only sse]
 */
import { fork, type ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';
import { startFirehose } from './firehose.ts';
import { openHttpSubscriber, type HttpTransport } from './http-clients.ts';

type Transport = 'ws' | HttpTransport;
const HERE = dirname(fileURLToPath(import.meta.url));
const QUERY =
  'subscription FuturesOrderBook($symbol: String!, $depth: Int) { futuresOrderBook(symbol: $symbol, depth: $depth) { symbol timestamp bids { price volume } asks { price volume } } }';
const BODY = JSON.stringify({ query: QUERY, variables: { symbol: 'BTCUSD', depth: 10 } });

const arg = (name: string, fallback: number): number => {
  const at = process.argv.indexOf(`--${name}`);
  const value = at < 0 ? Number.NaN : Number(process.argv[at + 1]);
  return Number.isFinite(value) ? value : fallback;
};
const N = arg('n', 1000);
const CONCURRENCY = arg('concurrency', 250);
const RUNS = arg('runs', 3);
const only = process.argv.includes('--only') ? process.argv[process.argv.indexOf('--only') + 1] : undefined;
type Mode = 'gateway' | 'gateway-nofast';
interface Variant {
  readonly label: string;
  readonly transport: Transport;
  readonly mode: Mode;
}
const VARIANTS: readonly Variant[] = [
  { label: 'graphql-ws', transport: 'ws', mode: 'gateway' },
  { label: 'SSE, through yoga (no fast path)', transport: 'sse', mode: 'gateway-nofast' },
  { label: 'SSE, fast path', transport: 'sse', mode: 'gateway' },
  { label: 'multipart, through yoga (no fast path)', transport: 'multipart', mode: 'gateway-nofast' },
  { label: 'multipart, fast path', transport: 'multipart', mode: 'gateway' },
].filter((v) => only === undefined || only === v.transport) as Variant[];

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const cpuMs = (cpu: NodeJS.CpuUsage) => (cpu.user + cpu.system) / 1000;

interface Server {
  readonly proc: ChildProcess;
  readonly port: number;
  stats(): Promise<{ cpuMs: number; joined: number }>;
}

async function startServer(firehoseUrl: string, mode: Mode): Promise<Server> {
  const proc = fork(join(HERE, 'server-process.ts'), [mode, firehoseUrl], {
    execArgv: ['--import', 'tsx', '--min-semi-space-size=16', '--max-semi-space-size=16'],
    stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
  });
  const port = await new Promise<number>((resolve, reject) => {
    let text = '';
    proc.stdout?.on('data', (d: Buffer) => {
      text += String(d);
      const line = text.split('\n').find((l) => l.startsWith('{"port"'));
      if (line !== undefined) resolve((JSON.parse(line) as { port: number }).port);
    });
    proc.once('exit', (code) => reject(new Error(`server exited with ${code}`)));
  });
  let seq = 0;
  const stats = () =>
    new Promise<{ cpuMs: number; joined: number }>((resolve) => {
      const id = ++seq;
      const listener = (m: { seq: number; cpu: NodeJS.CpuUsage; extra: Record<string, number> }) => {
        if (m.seq !== id) return;
        proc.off('message', listener);
        resolve({ cpuMs: cpuMs(m.cpu), joined: m.extra['fastPathJoined'] ?? 0 });
      };
      proc.on('message', listener);
      proc.send({ cmd: 'stats', seq: id });
    });
  for (let deadline = Date.now() + 20_000; ; await sleep(50)) {
    const status = await fetch(`http://127.0.0.1:${port}/ready`).then(
      (r) => r.status,
      () => 0,
    );
    if (status === 200) break;
    if (Date.now() > deadline) throw new Error('gateway not ready in 20 s');
  }
  return { proc, port, stats };
}

/** One subscriber: resolves on its first message; `close` ends it. */
interface Subscriber {
  readonly first: Promise<void>;
  close(): void;
}

function subscribe(transport: Transport, port: number): Subscriber {
  const url = `http://127.0.0.1:${port}/graphql`;
  if (transport !== 'ws') {
    let close = () => undefined as void;
    const first = new Promise<void>((resolve, reject) => {
      let got = false;
      const sub = openHttpSubscriber(url, transport, BODY, {
        accepted: () => undefined,
        next: () => {
          if (!got) resolve();
          got = true;
        },
        ended: (why) => reject(new Error(why)),
        failed: reject,
      });
      close = () => sub.terminate();
    });
    return { first, close: () => close() };
  }
  const ws = new WebSocket(url.replace('http', 'ws'), 'graphql-transport-ws', { perMessageDeflate: false });
  const first = new Promise<void>((resolve, reject) => {
    ws.on('open', () => ws.send('{"type":"connection_init","payload":{}}'));
    ws.on('error', reject);
    ws.on('message', (data) => {
      const text = String(data);
      if (text.startsWith('{"type":"connection_ack"')) ws.send(JSON.stringify({ id: '1', type: 'subscribe', payload: JSON.parse(BODY) }));
      else if (text.includes('"type":"next"')) resolve();
      else if (text.includes('"type":"ping"')) ws.send('{"type":"pong"}');
      else reject(new Error(text.slice(0, 200)));
    });
  });
  return { first, close: () => ws.terminate() };
}

interface Run {
  readonly serverMsPerSub: number;
  readonly clientMsPerSub: number;
  readonly wallMs: number;
  /** Subscribers of the burst that took the fast path. */
  readonly joined: number;
}

async function runOnce({ transport, mode }: Variant): Promise<Run> {
  const firehose = await startFirehose({ rate: 10 });
  const server = await startServer(firehose.url, mode);
  const subscribers: Subscriber[] = [];
  try {
    const starter = subscribe(transport, server.port);
    subscribers.push(starter);
    await starter.first;
    firehose.setRate(0);
    await sleep(1_000);
    const before = await server.stats();
    const clientBefore = cpuMs(process.cpuUsage());
    const started = Date.now();
    let next = 0;
    const worker = async () => {
      while (next < N) {
        next++;
        const sub = subscribe(transport, server.port);
        subscribers.push(sub);
        await sub.first;
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    const wallMs = Date.now() - started;
    const clientMs = cpuMs(process.cpuUsage()) - clientBefore;
    const after = await server.stats();
    return { serverMsPerSub: (after.cpuMs - before.cpuMs) / N, clientMsPerSub: clientMs / N, wallMs, joined: after.joined - before.joined };
  } finally {
    for (const sub of subscribers) sub.close();
    server.proc.kill();
    await firehose.close();
  }
}

const median = (values: readonly number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? Number.NaN;
const fmt = (ms: number) => ms.toFixed(3);

const results = new Map<Variant, Run[]>();
for (let i = 0; i < RUNS; i++)
  for (const variant of VARIANTS) {
    const run = await runOnce(variant);
    results.set(variant, [...(results.get(variant) ?? []), run]);
    process.stderr.write(
      `${variant.label} run ${i + 1}: ${fmt(run.serverMsPerSub)} ms/sub server, ${fmt(run.clientMsPerSub)} client, ${run.wallMs} ms, ${run.joined} fast\n`,
    );
  }
const wsRuns = [...results].find(([variant]) => variant.transport === 'ws')?.[1];
console.log(`N=${N}, concurrency ${CONCURRENCY}, ${RUNS} runs per variant (interleaved), node ${process.version}\n`);
console.log(
  '| variant | server CPU ms / subscribe (median) | min–max | × graphql-ws (median of per-round ratios) | took the fast path | probe CPU ms / subscribe | burst wall ms (median) |',
);
console.log('|---|--:|--:|--:|--:|--:|--:|');
for (const [variant, runs] of results) {
  const server = runs.map((r) => r.serverMsPerSub);
  const ratios = wsRuns === undefined ? [] : runs.map((r, i) => r.serverMsPerSub / (wsRuns[i]?.serverMsPerSub ?? Number.NaN));
  const ratio = ratios.length === 0 ? '–' : median(ratios).toFixed(2);
  console.log(
    `| ${variant.label} | ${fmt(median(server))} | ${fmt(Math.min(...server))}–${fmt(Math.max(...server))} | ${ratio} | ${median(runs.map((r) => r.joined))} / ${N} | ${fmt(median(runs.map((r) => r.clientMsPerSub)))} | ${median(runs.map((r) => r.wallMs))} |`,
  );
}
process.exit(0);
