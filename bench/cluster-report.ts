/**
 * The cluster section of the bench report (bench/cluster.ts measures it):
 * its markdown, and its rows of the report's targets table.
 */
import { CLUSTER_GOALS, type ClusterResult, type DeliveryRun } from './cluster.ts';

/** One row of the report's targets table (run.ts's `Check`). */
export interface ClusterCheck {
  readonly scenario: string;
  readonly target: string;
  readonly pass: boolean;
  readonly actual: string;
}

const SCENARIO = 'cluster';
const show = (x: number | null | undefined, unit = '') => (x === null || x === undefined ? '–' : `${x.toLocaleString('en-US')}${unit}`);
const runOf = (result: ClusterResult, server: DeliveryRun['server']) => result.runs.find((r) => r.server === server);

/** The targets of issue 17 against the result. */
export function clusterChecks(result: ClusterResult): ClusterCheck[] {
  const out: ClusterCheck[] = [];
  const single = runOf(result, 'single process');
  const cluster = runOf(result, '3 replicas + NATS');
  if (cluster !== undefined) {
    out.push({
      scenario: SCENARIO,
      target: `upstream subscriptions: ${CLUSTER_GOALS.bookSubscriptions} for the book, ${CLUSTER_GOALS.tradeSubscriptions} for the trades`,
      pass:
        cluster.bookSubscriptions === CLUSTER_GOALS.bookSubscriptions && cluster.tradeSubscriptions === CLUSTER_GOALS.tradeSubscriptions,
      actual: `book ${cluster.bookSubscriptions}, trades ${cluster.tradeSubscriptions} (single process: ${single?.bookSubscriptions ?? '–'} and ${single?.tradeSubscriptions ?? '–'})`,
    });
    out.push({
      scenario: SCENARIO,
      target: 'delivered ≥ 90 % of offered (as the single process must)',
      pass: cluster.deliveredPct >= 90,
      actual: `${cluster.deliveredPct} % (single process ${single?.deliveredPct ?? '–'} %)`,
    });
  }
  const at = `at ${result.options.subscribers.toLocaleString('en-US')} × ${result.options.rate}/s`;
  const hop = cluster?.engineHop?.state;
  if (hop !== undefined)
    out.push({
      scenario: SCENARIO,
      target: `engine hop p99 ≤ ${CLUSTER_GOALS.addedP99Ms} ms (book values, the replicas' own measure, ${at})`,
      pass: hop.p99Ms !== null && hop.p99Ms <= CLUSTER_GOALS.addedP99Ms,
      actual: `p99 ${show(hop.p99Ms, ' ms')}, p50 ${show(hop.p50Ms, ' ms')}; ${show(hop.withinPct, ' %')} ≤ ${hop.boundMs} ms (${show(hop.count)} values)`,
    });
  if (cluster !== undefined && single !== undefined) {
    const added = cluster.p99Ms === null || single.p99Ms === null ? null : cluster.p99Ms - single.p99Ms;
    out.push({
      scenario: SCENARIO,
      target: `end to end: the cluster's p99 minus the single process's ≤ ${CLUSTER_GOALS.addedP99Ms} ms (${at}; engine hop and 3 processes' contention)`,
      pass: added !== null && added <= CLUSTER_GOALS.addedP99Ms,
      actual: `${show(added, ' ms')} (p99 ${show(cluster.p99Ms, ' ms')} vs ${show(single.p99Ms, ' ms')})`,
    });
  }
  const f = result.failover;
  if (f !== undefined) {
    const survivors = f.survivors.map((s) => `${s.node} ${s.unique}`).join(', ');
    out.push({
      scenario: SCENARIO,
      target: `trades lost when a trades holder is killed (SIGKILL) ≤ ${CLUSTER_GOALS.lostTrades}`,
      pass: f.lost <= CLUSTER_GOALS.lostTrades,
      actual: `${f.lost} lost of ${f.tradesSent} sent (distinct at ${survivors}); ${f.repeated} repeated`,
    });
    out.push({
      scenario: SCENARIO,
      target: 'no trade repeated at the surviving replicas',
      pass: f.repeated === 0,
      actual: `${f.repeated} repeated`,
    });
    if (f.held.includes('book'))
      out.push({
        scenario: SCENARIO,
        target: `book takeover: a fresh book ≤ lease TTL + 5 s (${CLUSTER_GOALS.takeoverMs} ms) after the kill`,
        pass: f.bookTakeoverMs !== null && f.bookTakeoverMs <= CLUSTER_GOALS.takeoverMs,
        actual: `${show(f.bookTakeoverMs, ' ms')} (new holder ${f.holdersAfter.book.join(', ') || '–'})`,
      });
    out.push({
      scenario: SCENARIO,
      target: `trades takeover: both publisher slots held again ≤ ${CLUSTER_GOALS.takeoverMs} ms after the kill`,
      pass: f.tradesTakeoverMs !== null && f.tradesTakeoverMs <= CLUSTER_GOALS.takeoverMs,
      actual: `${show(f.tradesTakeoverMs, ' ms')} (holders ${f.holdersAfter.trades.join(', ') || '–'})`,
    });
  }
  if (result.failure !== undefined)
    out.push({ scenario: SCENARIO, target: 'the section runs', pass: false, actual: result.failure.slice(0, 200) });
  return out;
}

/** The report's section: both runs side by side, then the failover. */
export function clusterMarkdown(result: ClusterResult): string {
  const { options } = result;
  const f = result.failover;
  return [
    '## Cluster: 3 replicas on NATS JetStream vs one process (issue 17)',
    '',
    `The same firehose (bench/firehose.ts: books and trades of ${'BTCUSD'}, ${options.rate} frames/s each), first to one gateway process, then to three replicas (separate processes, default lease TTL and two trades publishers) on their own \`nats-server -js\`, and last (after the failover, on a fresh \`nats-server -js\`) to one replica alone (every subscriber on it); ${options.subscribers.toLocaleString('en-US')} book subscribers (bench/clients.ts, spread evenly over the replicas), warm-up ${options.warmupS} s, window ${options.measureS} s. Upstream subscriptions are counted at the firehose. Latency = client receive time − the book's time; the engine's share is the cluster's p99 minus the single process's. CPU: the gateway processes together, and NATS, in % of one core. Load avg: the machine's 1-minute load average at the window's end; the run's own processes count in it, so a figure well above theirs means other work competed for the 2 cores.`,
    '',
    '| server | subscribed | upstream subs (book / trades) | offered msg/s | delivered msg/s | delivered % | p50 ms | p99 ms | gateway CPU % | NATS CPU % | client errors | load avg |',
    '|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|',
    ...result.runs.map(
      (r) =>
        `| ${r.server} | ${r.subscribed} | ${r.bookSubscriptions} / ${r.tradeSubscriptions} | ${show(r.offeredPerS)} | ${show(r.deliveredPerS)} | ${r.deliveredPct} % | ${show(r.p50Ms)} | ${show(r.p99Ms)} | ${r.gatewayCpuPct} % | ${show(r.natsCpuPct, ' %')} | ${r.clientErrors} | ${show(r.loadAvg)} |`,
    ),
    '',
    "The engine hop as the replicas measure it over the same window (`coincall_gateway_cluster_engine_latency_seconds`, scraped from each replica's /metrics before and after it, summed): from the time the holder took a value from its upstream (stamped in a header) to its arrival at a replica's reader; it covers the holder's wait to publish, NATS storing and delivering it and the reader's event loop, not the fan-out to the clients. Quantiles interpolated within the histogram's buckets; the share within 10 ms is exact (a bucket bound).",
    '',
    '| server | kind | values | p50 ms | p99 ms | ≤ 10 ms |',
    '|---|---|--:|--:|--:|--:|',
    ...result.runs.flatMap(({ server, engineHop }) =>
      engineHop === undefined
        ? []
        : (['state', 'event'] as const).map((kind) => {
            const h = engineHop[kind];
            return `| ${server} | ${kind === 'state' ? 'book (state)' : 'trades (event)'} | ${show(h.count)} | ${show(h.p50Ms)} | ${show(h.p99Ms)} | ${show(h.withinPct, ' %')} |`;
          }),
    ),
    '',
    ...result.runs.flatMap(({ server, engineHopByNode }) =>
      engineHopByNode === undefined || Object.keys(engineHopByNode).length < 2
        ? []
        : [
            `${server}, book values by replica (p50 / p99 ms): ${Object.entries(engineHopByNode)
              .map(([node, h]) => `${node} ${show(h.state.p50Ms)} / ${show(h.state.p99Ms)}`)
              .join('; ')}.`,
            '',
          ],
    ),
    f === undefined
      ? `Failover: not run${result.failure === undefined ? '' : ` (${result.failure})`}.`
      : `Failover: a trade reader and a book reader on each replica; with the firehose paused the counts start, it resumes, and ${f.victim} (holding ${f.held.join(' and ')}) is killed with SIGKILL mid-stream; the flow goes on past both takeovers, then pauses and drains. ` +
        `${f.tradesSent} trades sent; at the surviving replicas: ${f.survivors.map((s) => `${s.node} ${s.unique} distinct, ${s.repeated} repeated, ${s.interruptions} STREAM_INTERRUPTED`).join('; ')}. ` +
        `Book takeover (first book newer than the kill at a survivor): ${f.held.includes('book') ? show(f.bookTakeoverMs, ' ms') : 'the victim held no book'}; trades takeover (both slots held again): ${show(f.tradesTakeoverMs, ' ms')}. ` +
        `Holders after: book ${f.holdersAfter.book.join(', ') || '–'}, trades ${f.holdersAfter.trades.join(', ') || '–'}.`,
    '',
  ].join('\n');
}
