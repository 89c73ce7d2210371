/**
 * The cluster section of `npm run bench` (scenario id `cluster`, issue 17):
 * three gateway replicas on NATS JetStream against one single process, in
 * the same run, on the same firehose (bench/firehose.ts serving books and
 * trades of one symbol at R frames/s each), every server in its own process
 * and the N book subscribers in another (bench/clients.ts).
 *
 * 1. The single process, then the cluster (its own nats-server, three
 *    replicas with the default lease TTL and two trades publishers; N/3
 *    subscribers on each): upstream subscriptions per topic at the firehose
 *    (goal: 1 for the book, 2 for the trades in the cluster), delivered
 *    messages and latency (client receive time minus the book's time) over
 *    the same window; the p99 the engine adds is the cluster's minus the
 *    single process's (goal ≤ 10 ms at 1,000 × 50/s). Last, after the
 *    failover and on a fresh nats-server, one replica on NATS (all N
 *    subscribers on it): the engine hop without the contention of three
 *    gateway processes on the machine's cores. Each
 *    replica's own measure of the hop (holder's stamp to the reader's
 *    arrival, its engine latency histogram, bench/cluster-hop.ts) over the
 *    same window.
 * 2. Failover: a trade reader and a book reader on each replica (the first
 *    replica subscribed first, so that it holds the book and a trades slot).
 *    The firehose pauses, the readers' counts start, it resumes, the trades
 *    holder (the one that also holds the book when there is one) is killed
 *    with SIGKILL mid-stream, the flow goes on until both takeovers are seen,
 *    then pauses and drains. Trades lost (sent minus distinct ids at each
 *    surviving replica's reader; goal 0), repeated (goal 0), and takeover
 *    times: the first book newer than the kill at a survivor (goal ≤ lease
 *    TTL + 5 s) and both trades publisher slots held again.
 */
import { loadavg } from 'node:os';
import { DEFAULT_CLUSTER_LEASE_TTL_MS } from '../src/lib/cluster-config.ts';
import { startFirehose, type Firehose } from './firehose.ts';
import { forkChild, type IpcChild } from './ipc-child.ts';
import { emptyHop, hopStats, scrapeHop, windowOf, type HopCounts, type HopStats } from './cluster-hop.ts';
import {
  cpuSecondsOf,
  holdersOf,
  readBooks,
  readTrades,
  startGateway,
  startNats,
  type BookReader,
  type Gateway,
  type NatsServer,
  type TradeReader,
} from './cluster-parts.ts';

const SYMBOL = 'BTCUSD';
const CLUSTER_NAME = 'bench';
const SOLO_CLUSTER_NAME = 'bench-solo';
const REPLICAS = ['replica-1', 'replica-2', 'replica-3'];
const BOOK_CHANNEL = 'futuresOrderBook';
const TRADES_CHANNEL = 'futuresTrades';
/** Goals of issue 17. */
export const CLUSTER_GOALS = {
  bookSubscriptions: 1,
  tradeSubscriptions: 2,
  addedP99Ms: 10,
  lostTrades: 0,
  takeoverMs: DEFAULT_CLUSTER_LEASE_TTL_MS + 5_000,
} as const;
/** How long the failover waits for both takeovers before it gives up on them. */
const TAKEOVER_WAIT_MS = 30_000;
/** Trades flow this long after the kill's takeovers, and before it. */
const FLOW_AROUND_KILL_MS = 1_500;
/** After the firehose pauses: time for the last trades to reach every reader. */
const DRAIN_MS = 1_500;
const HOLDERS_WAIT_MS = 20_000;
const POLL_MS = 100;

export interface ClusterOptions {
  readonly subscribers: number;
  readonly rate: number;
  readonly warmupS: number;
  readonly measureS: number;
  /** Where the gateway processes write their V8 CPU profiles (`--profile`); none when undefined. */
  readonly profileDir?: string;
}

export interface DeliveryRun {
  readonly server: 'single process' | '1 replica + NATS' | '3 replicas + NATS';
  readonly subscribed: number;
  /** Upstream subscriptions the firehose holds of the book and of the trades. */
  readonly bookSubscriptions: number;
  readonly tradeSubscriptions: number;
  readonly offeredPerS: number;
  readonly deliveredPerS: number;
  readonly deliveredPct: number;
  readonly p50Ms: number | null;
  readonly p99Ms: number | null;
  /** CPU of the gateway processes (all replicas together), and of NATS, over the window, % of one core. */
  readonly gatewayCpuPct: number;
  readonly natsCpuPct?: number;
  readonly clientErrors: number;
  /** The machine's 1-minute load average at the window's end (other work on the machine shows here). */
  readonly loadAvg: number;
  /** The engine hop over the window as the replicas measured it (book values: state; trades: event). */
  readonly engineHop?: { readonly state: HopStats; readonly event: HopStats };
  /** The same at each replica (its readers' share), by node. */
  readonly engineHopByNode?: Readonly<Record<string, { readonly state: HopStats; readonly event: HopStats }>>;
}

export interface Failover {
  readonly victim: string;
  /** What the victim held: the book, trades, or both. */
  readonly held: readonly string[];
  readonly tradesSent: number;
  readonly survivors: ReadonlyArray<{ node: string; unique: number; repeated: number; interruptions: number }>;
  readonly lost: number;
  readonly repeated: number;
  /** Kill to the first book newer than the kill at a surviving replica's reader (null: not seen, or the victim held no book). */
  readonly bookTakeoverMs: number | null;
  /** Kill to both trades publisher slots held by survivors (null: not seen). */
  readonly tradesTakeoverMs: number | null;
  readonly holdersAfter: { readonly book: readonly string[]; readonly trades: readonly string[] };
}

export interface ClusterResult {
  readonly options: ClusterOptions;
  readonly runs: readonly DeliveryRun[];
  readonly failover?: Failover;
  readonly failure?: string;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const round = (x: number, digits = 1) => Math.round(x * 10 ** digits) / 10 ** digits;

/** Polls `check` every POLL_MS until it returns a value, or undefined after `timeoutMs`. */
async function poll<T>(check: () => Promise<T | undefined>, timeoutMs: number): Promise<T | undefined> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = await check();
    if (found !== undefined || Date.now() > deadline) return found;
    await sleep(POLL_MS);
  }
}

async function startClients(): Promise<IpcChild> {
  const clients = forkChild('clients.ts', [], 'cluster clients');
  await new Promise<void>((resolve, reject) => {
    clients.proc.once('message', () => resolve());
    clients.proc.once('exit', (code) => reject(new Error(`clients exited with ${code}`)));
  });
  return clients;
}

interface Report {
  windowMs: number;
  delivered: number;
  p50: number | null;
  p99: number | null;
  errors: number;
}

/** N book subscribers spread over `gateways`, a warm-up, then one measured window. */
async function deliver(
  server: DeliveryRun['server'],
  gateways: readonly Gateway[],
  firehose: Firehose,
  options: ClusterOptions,
  nats?: NatsServer,
): Promise<DeliveryRun> {
  const clients = await startClients();
  try {
    let subscribed = 0;
    for (const [i, gateway] of gateways.entries()) {
      const n = Math.floor(options.subscribers / gateways.length) + (i < options.subscribers % gateways.length ? 1 : 0);
      const started = await clients.request<{ subscribed: number }>(
        {
          cmd: 'start',
          url: `ws://127.0.0.1:${gateway.port}/graphql`,
          n,
          symbols: [SYMBOL],
          depth: 10,
          slowIndex: -1,
          concurrency: 250,
          timeoutMs: 30_000,
        },
        40_000,
      );
      subscribed += started.subscribed;
    }
    await sleep(options.warmupS * 1_000);
    const hopsBefore = nats === undefined ? [] : await Promise.all(gateways.map((g) => scrapeHop(g.port)));
    const cpu = () => gateways.reduce((sum, g) => sum + (cpuSecondsOf(g.child.proc.pid) ?? 0), 0);
    const cpuBefore = cpu();
    const natsBefore = cpuSecondsOf(nats?.proc.pid);
    const sentBefore = firehose.framesSent('books').get(SYMBOL) ?? 0;
    const sentBeforeAt = Date.now();
    await clients.request({ cmd: 'reset' });
    await sleep(options.measureS * 1_000);
    const report = await clients.request<Report>({ cmd: 'report' }, 30_000);
    const hopsAfter = nats === undefined ? [] : await Promise.all(gateways.map((g) => scrapeHop(g.port)));
    const hops = nats === undefined ? undefined : windowOf(hopsBefore, hopsAfter);
    const hopOf = (counts: HopCounts) => ({
      state: hopStats(counts, 'state', CLUSTER_GOALS.addedP99Ms),
      event: hopStats(counts, 'event', CLUSTER_GOALS.addedP99Ms),
    });
    const sent = (firehose.framesSent('books').get(SYMBOL) ?? 0) - sentBefore;
    const firehoseS = (Date.now() - sentBeforeAt) / 1_000;
    const windowS = report.windowMs / 1_000;
    const offeredPerS = (sent * subscribed) / firehoseS;
    const natsAfter = cpuSecondsOf(nats?.proc.pid);
    return {
      server,
      subscribed,
      bookSubscriptions: firehose.subscribers(SYMBOL, 'books'),
      tradeSubscriptions: firehose.subscribers(SYMBOL, 'trades'),
      offeredPerS: Math.round(offeredPerS),
      deliveredPerS: Math.round(report.delivered / windowS),
      deliveredPct: offeredPerS === 0 ? 0 : round((100 * report.delivered) / windowS / offeredPerS),
      p50Ms: report.p50,
      p99Ms: report.p99,
      gatewayCpuPct: round((100 * (cpu() - cpuBefore)) / windowS),
      ...(natsBefore === undefined || natsAfter === undefined ? {} : { natsCpuPct: round((100 * (natsAfter - natsBefore)) / windowS) }),
      clientErrors: report.errors,
      loadAvg: round(loadavg()[0] ?? 0, 2),
      ...(hops === undefined
        ? {}
        : {
            engineHop: hopOf(hops),
            engineHopByNode: Object.fromEntries(
              gateways.map((g, i) => [g.node, hopOf(windowOf([hopsBefore[i] ?? emptyHop()], [hopsAfter[i] ?? emptyHop()]))]),
            ),
          }),
    };
  } finally {
    await clients.stop();
  }
}

/** The book's and the trades' holders as a replica sees them. */
async function holders(gateway: Gateway): Promise<{ book: string[]; trades: string[] } | undefined> {
  const book = await holdersOf(gateway.port, BOOK_CHANNEL);
  const trades = await holdersOf(gateway.port, TRADES_CHANNEL);
  return book === undefined || trades === undefined ? undefined : { book, trades };
}

/** Kills the trades holder mid-stream and counts what the surviving replicas' readers got; the firehose is left paused. */
async function failover(
  replicas: readonly Gateway[],
  readers: { readonly trades: readonly TradeReader[]; readonly books: readonly BookReader[] },
  firehose: Firehose,
  rate: number,
): Promise<Failover> {
  const { trades: tradeReaders, books: bookReaders } = readers;
  const before = await poll(async () => {
    const h = await holders(replicas[1] ?? replicas[0]!);
    return h !== undefined && h.book.length === 1 && h.trades.length === 2 ? h : undefined;
  }, HOLDERS_WAIT_MS);
  if (before === undefined) throw new Error('the book and the trades never had their 1 and 2 holders');
  const victimNode = before.trades.find((node) => before.book.includes(node)) ?? before.trades[0]!;
  const victim = replicas.find((r) => r.node === victimNode);
  if (victim === undefined) throw new Error(`the holder ${victimNode} is not one of the replicas`);
  const survivors = replicas.filter((r) => r !== victim);
  const held = [...(before.book.includes(victimNode) ? ['book'] : []), 'trades'];

  // Nothing in flight when the counts start.
  firehose.setRate(0);
  await sleep(DRAIN_MS);
  for (const reader of [...tradeReaders, ...bookReaders]) reader.reset();
  const sentBefore = firehose.framesSent('trades').get(SYMBOL) ?? 0;
  firehose.setRate(rate);
  await sleep(FLOW_AROUND_KILL_MS);
  const killedAt = Date.now();
  victim.child.proc.kill('SIGKILL');
  const survivingBooks = bookReaders.filter((r) => r.node !== victimNode);
  const bookFresh = () => {
    const seen = survivingBooks.map((r) => r.firstFreshAfter(killedAt)).filter((at): at is number => at !== undefined);
    return seen.length === 0 ? undefined : Math.min(...seen) - killedAt;
  };
  let tradesTakeoverMs: number | null = null;
  let after = { book: [] as string[], trades: [] as string[] };
  await poll(async () => {
    const h = await holders(survivors[0]!);
    if (h !== undefined) after = h;
    if (tradesTakeoverMs === null && h !== undefined && h.trades.length === 2 && !h.trades.includes(victimNode))
      tradesTakeoverMs = Date.now() - killedAt;
    const bookDone = !held.includes('book') || bookFresh() !== undefined;
    return tradesTakeoverMs !== null && bookDone ? true : undefined;
  }, TAKEOVER_WAIT_MS);
  await sleep(FLOW_AROUND_KILL_MS);
  firehose.setRate(0);
  await sleep(DRAIN_MS);
  const tradesSent = (firehose.framesSent('trades').get(SYMBOL) ?? 0) - sentBefore;
  const counted = tradeReaders
    .filter((r) => r.node !== victimNode)
    .map((r) => ({ node: r.node, unique: r.unique(), repeated: r.repeated(), interruptions: r.interruptions() }));
  return {
    victim: victimNode,
    held,
    tradesSent,
    survivors: counted,
    lost: Math.max(0, ...counted.map((c) => tradesSent - c.unique)),
    repeated: Math.max(0, ...counted.map((c) => c.repeated)),
    bookTakeoverMs: held.includes('book') ? (bookFresh() ?? null) : null,
    tradesTakeoverMs,
    holdersAfter: after,
  };
}

const RUN_ORDER: ReadonlyArray<DeliveryRun['server']> = ['single process', '1 replica + NATS', '3 replicas + NATS'];
/** The runs in the report's order (they are measured in another). */
const inOrder = (runs: readonly DeliveryRun[]) => [...runs].sort((a, b) => RUN_ORDER.indexOf(a.server) - RUN_ORDER.indexOf(b.server));

/** The whole section; a failure is reported in the result, not thrown. */
export async function measureCluster(options: ClusterOptions): Promise<ClusterResult> {
  const runs: DeliveryRun[] = [];
  const firehose = await startFirehose({ rate: options.rate, kinds: ['books', 'trades'] });
  const gateways: Gateway[] = [];
  const readers: Array<TradeReader | BookReader> = [];
  let nats: NatsServer | undefined;
  let failedOver: Failover | undefined;
  try {
    const single = await startGateway(firehose.url, 'single', undefined, options.profileDir);
    gateways.push(single);
    // The single process holds the trades topic too, as the replicas do.
    readers.push(await readTrades(single.port, single.node, SYMBOL));
    runs.push(await deliver('single process', [single], firehose, options));
    for (const reader of readers.splice(0)) reader.close();
    await single.child.stop();
    gateways.splice(0);

    nats = await startNats();
    const engine = { natsUrl: nats.url, name: CLUSTER_NAME };
    const started = await Promise.allSettled(REPLICAS.map((node) => startGateway(firehose.url, node, engine, options.profileDir)));
    const replicas = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
    gateways.push(...replicas);
    const refused = started.find((s) => s.status === 'rejected');
    if (refused !== undefined) throw refused.reason instanceof Error ? refused.reason : new Error(String(refused.reason));
    const tradeReaders: TradeReader[] = [];
    const bookReaders: BookReader[] = [];
    for (const replica of replicas) {
      // The first replica subscribes first: it takes the book's lease and a trades slot.
      tradeReaders.push(await readTrades(replica.port, replica.node, SYMBOL));
      bookReaders.push(await readBooks(replica.port, replica.node, SYMBOL));
      if (replica === replicas[0])
        await poll(async () => ((await holders(replica))?.book.length === 1 ? true : undefined), HOLDERS_WAIT_MS);
    }
    readers.push(...tradeReaders, ...bookReaders);
    await poll(async () => {
      const h = await holders(replicas[0]!);
      return h !== undefined && h.trades.length === 2 ? true : undefined;
    }, HOLDERS_WAIT_MS);
    runs.push(await deliver('3 replicas + NATS', replicas, firehose, options, nats));
    failedOver = await failover(replicas, { trades: tradeReaders, books: bookReaders }, firehose, options.rate);
    for (const reader of readers.splice(0)) reader.close();
    await Promise.all(gateways.splice(0).map((g) => g.child.stop()));
    await nats.stop();

    // Last, on a fresh engine: one replica alone, its hop without two more gateway processes on the cores
    // (run before the three, it left them slower in three tries of three; why was not found).
    nats = await startNats();
    firehose.setRate(options.rate);
    const solo = await startGateway(firehose.url, 'solo', { natsUrl: nats.url, name: SOLO_CLUSTER_NAME }, options.profileDir);
    gateways.push(solo);
    readers.push(await readTrades(solo.port, solo.node, SYMBOL));
    runs.push(await deliver('1 replica + NATS', [solo], firehose, options, nats));
    return { options, runs: inOrder(runs), failover: failedOver };
  } catch (error) {
    const failure = error instanceof Error ? error.message : String(error);
    return { options, runs: inOrder(runs), ...(failedOver === undefined ? {} : { failover: failedOver }), failure };
  } finally {
    for (const reader of readers) reader.close();
    await Promise.all(gateways.map((g) => g.child.stop()));
    await nats?.stop();
    await firehose.close();
  }
}
