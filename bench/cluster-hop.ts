/**
 * The engine hop as the replicas measure it (bench/cluster.ts): each
 * replica's `coincall_gateway_cluster_engine_latency_seconds` histogram
 * (holder's stamp to the reader's arrival, src/sources/cluster/engine-latency.ts)
 * scraped from its /metrics before and after the measured window; the
 * window's counts summed over the replicas, by topic kind, and read as
 * Prometheus reads a histogram: quantiles interpolated within a bucket, and
 * the exact share at or below a bucket bound (the goal's 10 ms is one).
 */

const FAMILY = 'coincall_gateway_cluster_engine_latency_seconds';
const KINDS = ['state', 'event'] as const;
type Kind = (typeof KINDS)[number];
const SCRAPE_TIMEOUT_MS = 5_000;

/** Cumulative counts by upper bound (seconds; +Inf as Infinity), per kind. */
export type HopCounts = Record<Kind, Map<number, number>>;

export interface HopStats {
  /** Messages observed in the window (all replicas). */
  readonly count: number;
  readonly p50Ms: number | null;
  readonly p99Ms: number | null;
  /** Share of the window's messages whose hop was at most `boundMs`, %. */
  readonly withinPct: number | null;
  readonly boundMs: number;
}

/** No counts (a replica that did not answer). */
export const emptyHop = (): HopCounts => ({ state: new Map(), event: new Map() });
const BUCKET_LINE = new RegExp(`^${FAMILY}_bucket\\{([^}]*)\\} (\\S+)$`);

/** The histogram's buckets on the replica at `port` (empty when it does not answer). */
export async function scrapeHop(port: number): Promise<HopCounts> {
  const counts = emptyHop();
  const text = await fetch(`http://127.0.0.1:${port}/metrics`, { signal: AbortSignal.timeout(SCRAPE_TIMEOUT_MS) })
    .then((r) => r.text())
    .catch(() => '');
  for (const line of text.split('\n')) {
    const match = BUCKET_LINE.exec(line);
    if (match === null) continue;
    const labels = new Map([...(match[1] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1] ?? '', m[2] ?? '']));
    const kind = labels.get('kind');
    if (kind !== 'state' && kind !== 'event') continue;
    const le = labels.get('le') === '+Inf' ? Number.POSITIVE_INFINITY : Number(labels.get('le'));
    counts[kind].set(le, Number(match[2]));
  }
  return counts;
}

/** `after` minus `before`, summed over the replicas. */
export function windowOf(before: readonly HopCounts[], after: readonly HopCounts[]): HopCounts {
  const out = emptyHop();
  for (const kind of KINDS)
    after.forEach((counts, i) => {
      for (const [le, n] of counts[kind]) out[kind].set(le, (out[kind].get(le) ?? 0) + n - (before[i]?.[kind].get(le) ?? 0));
    });
  return out;
}

/** The `q` quantile in ms, interpolated linearly within its bucket (as PromQL's histogram_quantile). */
function quantileMs(buckets: ReadonlyArray<[number, number]>, total: number, q: number): number | null {
  if (total === 0) return null;
  const rank = q * total;
  let lower = 0;
  let below = 0;
  for (const [le, cumulative] of buckets) {
    if (cumulative >= rank) {
      if (!Number.isFinite(le)) return lower * 1_000;
      const inBucket = cumulative - below;
      return (lower + (le - lower) * (inBucket === 0 ? 0 : (rank - below) / inBucket)) * 1_000;
    }
    lower = le;
    below = cumulative;
  }
  return lower * 1_000;
}

/** The window's p50, p99 and share within `boundMs` (a bucket bound) of `kind`. */
export function hopStats(counts: HopCounts, kind: Kind, boundMs: number): HopStats {
  const buckets = [...counts[kind].entries()].sort((a, b) => a[0] - b[0]);
  const total = counts[kind].get(Number.POSITIVE_INFINITY) ?? 0;
  const within = counts[kind].get(boundMs / 1_000);
  const round = (x: number | null) => (x === null ? null : Math.round(x * 100) / 100);
  return {
    count: total,
    p50Ms: round(quantileMs(buckets, total, 0.5)),
    p99Ms: round(quantileMs(buckets, total, 0.99)),
    withinPct: total === 0 || within === undefined ? null : Math.round((1_000 * within) / total) / 10,
    boundMs,
  };
}
