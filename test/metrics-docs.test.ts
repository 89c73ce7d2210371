/**
 * Every metric the gateway registers is documented: README's "Metrics" table
 * lists each `coincall_gateway_*` family that `/metrics` reports, and each
 * name the files of src/server/metrics/ register, and nothing else; so a new
 * family cannot ship without its line (issue 22's upstream and lag metrics
 * were once missing from it).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { disposeAll, startTestGateway } from './helpers/gateway.ts';
import { scrapeMetrics } from './helpers/prometheus.ts';

afterEach(disposeAll);

const README = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
const METRICS_DIR = new URL('../src/server/metrics/', import.meta.url);

/** The metric names in the first column of README's "### Metrics" table. */
function documented(): string[] {
  const start = README.indexOf('### Metrics\n');
  expect(start, 'a "### Metrics" section').toBeGreaterThan(0);
  const section = README.slice(start, README.indexOf('\n#', start + 1));
  return [...section.matchAll(/^\| `(coincall_gateway_\w+)` \|/gm)].map((m) => m[1] ?? '');
}

/** The names registered in src/server/metrics/ (`name: '…'`, `name: \`${PREFIX}…\``, or a `…_METRIC` constant). */
function registeredInSource(): string[] {
  const names: string[] = [];
  for (const file of readdirSync(METRICS_DIR).filter((f) => f.endsWith('.ts'))) {
    const text = readFileSync(new URL(file, METRICS_DIR), 'utf8');
    for (const [, name] of text.matchAll(/(?:name: |_METRIC = )'(coincall_gateway_\w+)'/g)) names.push(name ?? '');
    for (const [, name] of text.matchAll(/name: `\$\{PREFIX\}(\w+)`/g)) names.push(`coincall_gateway_${name ?? ''}`);
  }
  return names;
}

const sorted = (names: readonly string[]) => [...new Set(names)].sort();

describe("README's metrics table", () => {
  it('lists every coincall_gateway_* family /metrics reports, and only those', async () => {
    const gateway = await startTestGateway();
    const { text } = await scrapeMetrics(gateway.port);
    const reported = [...text.matchAll(/^# HELP (coincall_gateway_\w+) /gm)].map((m) => m[1] ?? '');
    expect(reported.length).toBeGreaterThan(20);
    expect(sorted(documented())).toEqual(sorted(reported));
  });

  it('lists every name the metrics files register, each once', () => {
    const inSource = registeredInSource();
    expect(inSource.length).toBeGreaterThan(20);
    expect(sorted(documented())).toEqual(sorted(inSource));
    expect(documented().length).toBe(sorted(documented()).length);
  });
});
