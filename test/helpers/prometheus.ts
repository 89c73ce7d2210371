/**
 * Reading `/metrics` in tests: Prometheus text parsed into samples, and sums
 * over a family's samples whose labels match; an idle upstream's status to
 * render metrics from.
 */
import { expect } from 'vitest';
import type { UpstreamStatus } from '../../src/sources/coincall/upstream-api.ts';

/** An upstream with nothing open, for rendering metrics (`metrics.bind({ upstream: () => … })`). */
export const IDLE_UPSTREAM: UpstreamStatus = {
  connections: [],
  topics: [],
  privateTopics: 0,
  privateCredentials: 0,
  refusedCredentials: 0,
  drops: { unknownDt: 0, undecodable: 0, unrouted: 0, oversized: 0 },
};

/** One sample: `name{labels} value`. */
export interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

export function parsePrometheus(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (match === null) throw new Error(`not a Prometheus sample: ${line}`);
    const labels: Record<string, string> = {};
    for (const pair of (match[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[pair[1] ?? ''] = pair[2] ?? '';
    samples.push({ name: match[1] ?? '', labels, value: Number(match[3]) });
  }
  return samples;
}

/** The sum of a family's samples whose labels include `where`. */
export const sumOf = (samples: readonly Sample[], name: string, where: Record<string, string> = {}): number =>
  samples.filter((s) => s.name === name && Object.entries(where).every(([k, v]) => s.labels[k] === v)).reduce((n, s) => n + s.value, 0);

/** GET /metrics of the gateway on `port` (status 200 asserted). */
export async function scrapeMetrics(port: number): Promise<{ text: string; samples: Sample[]; contentType: string | null }> {
  const response = await fetch(`http://127.0.0.1:${port}/metrics`);
  expect(response.status).toBe(200);
  const text = await response.text();
  return { text, samples: parsePrometheus(text), contentType: response.headers.get('content-type') };
}
