/**
 * The deployment artifacts agree with the code and with each other: the
 * Dockerfile runs what `npm start` execs; compose.yaml runs the same commands,
 * a NATS server with JetStream on a volume and three gateway replicas of one
 * cluster (the same CLUSTER_NAME and NATS URL, a distinct CLUSTER_NODE_ID
 * each, on the default port inside, published on distinct host ports, healthy
 * once /ready), each pointed at the simulator (its sockets and its instrument
 * list) with a configuration the gateway accepts and only variables the gateway knows; Prometheus scrapes every
 * replica's /metrics and loads alerting rules written against the metric
 * families the gateway serves. The files are read, not run (no Docker engine).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { DEFAULT_PORT, KNOWN_ENV_NAMES, readConfig } from '../src/config.ts';
import { DEFAULT_PORT as SIMULATOR_DEFAULT_PORT } from '../src/simulator/simulator-env.ts';
import { createMetrics } from '../src/server/metrics/metrics.ts';
import { DEMO_ACCOUNT } from '../src/simulator/index.ts';
import { TIME_PATH } from '../src/simulator/rest-endpoints.ts';
import type { ClusterStatus } from '../src/sources/cluster/cluster-status.ts';
import { REPAIR_OUTCOMES } from '../src/sources/cluster/engine-repairs.ts';
import { IDLE_UPSTREAM, parsePrometheus, sumOf } from './helpers/prometheus.ts';

const read = (path: string) => readFileSync(new URL(`../${path}`, import.meta.url), 'utf8');

/** A YAML or JSON value, read field by field with checks instead of casts. */
function field(value: unknown, ...path: readonly string[]): unknown {
  let current = value;
  for (const key of path) {
    if (typeof current !== 'object' || current === null || !(key in current)) throw new Error(`no ${path.join('.')}`);
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}

const scripts = field(JSON.parse(read('package.json')), 'scripts');
/** An npm script's command without its leading `exec`, split into words. */
function execCommand(name: string): string[] {
  const script = field(scripts, name);
  if (typeof script !== 'string' || !script.startsWith('exec ')) throw new Error(`npm run ${name} does not exec: ${String(script)}`);
  return script.slice('exec '.length).split(' ');
}

const dockerfile = read('Dockerfile');
const dockerLines = dockerfile.split('\n');
/** The instructions of the last (runtime) stage. */
const runtimeStage = dockerfile.slice(dockerfile.lastIndexOf('\nFROM '));

// Compose merges `<<: *anchor` keys (the replicas share one definition); so does this parse.
const compose = parse(read('compose.yaml'), { merge: true }) as unknown;
const service = (name: string) => field(compose, 'services', name);
const REPLICAS = ['gateway-1', 'gateway-2', 'gateway-3'];
/** A service's environment, every value a string (compose passes them as they are written). */
function environmentOf(name: string): Record<string, string> {
  const env = field(service(name), 'environment');
  if (typeof env !== 'object' || env === null || Array.isArray(env)) throw new Error(`${name}: environment is not a mapping`);
  return Object.fromEntries(
    Object.entries(env).map(([key, value]) => {
      if (typeof value !== 'string') throw new Error(`${name}: ${key} is not a string (quote it)`);
      return [key, value];
    }),
  );
}
const simulatorEnv = environmentOf('simulator');

const NO_GAPS = { published: 0, covered: 0, said: 0, behind: 0, failed: 0 };
/** A replica of a cluster whose engine went away: its leases lapsed, it holds nothing. */
const DISCONNECTED_REPLICA: ClusterStatus = {
  node: 'gateway-1',
  engine: 'DISCONNECTED',
  replicas: () => Promise.resolve(['gateway-1']),
  topicsHeld: 0,
  topicsHeldByMarket: {},
  takeovers: 0,
  handovers: 0,
  publishes: { stored: 0, duplicate: 0, refused: 0 },
  gapMarkers: { UPSTREAM: NO_GAPS, ENGINE: NO_GAPS },
  badMessages: { not_envelope: 0, bad_item: 0, bad_gap: 0, failed: 0 },
  engineRepairs: { coincall_events: { created_again: 0, failed: 0 } },
  feedsGone: 0,
};

describe('Dockerfile', () => {
  it('runs what `npm start` execs, in exec form, as the only process', () => {
    const cmd = dockerLines.find((line) => line.startsWith('CMD '));
    expect(JSON.parse(cmd?.slice('CMD '.length) ?? 'null')).toEqual(execCommand('start'));
  });

  it('builds in one stage and runs with production dependencies only, as a non-root user', () => {
    expect(dockerLines.filter((line) => line.startsWith('FROM '))).toHaveLength(2);
    expect(dockerfile).toContain('RUN npm run build');
    expect(runtimeStage).toContain('npm ci --omit=dev');
    expect(runtimeStage).toContain('COPY --from=build /app/dist ./dist');
    expect(runtimeStage).toMatch(/^USER node$/m);
  });

  it('exposes the default port and checks /health', () => {
    expect(runtimeStage).toMatch(new RegExp(`^EXPOSE ${DEFAULT_PORT}$`, 'm'));
    expect(runtimeStage).toContain(`PORT=${DEFAULT_PORT}`);
    expect(runtimeStage).toMatch(/HEALTHCHECK[^]*\/health/);
  });
});

describe('compose.yaml', () => {
  it('runs NATS with JetStream on file storage in a named volume', () => {
    const command = field(service('nats'), 'command');
    expect(command).toEqual(expect.arrayContaining(['-js', '-sd', '/data']));
    expect(field(service('nats'), 'volumes')).toContain('nats-data:/data');
    expect(field(compose, 'volumes')).toHaveProperty('nats-data');
  });

  it.each(REPLICAS)("runs %s with the image's command, `npm start`'s, on the default port", (name) => {
    expect(field(service(name), 'command')).toEqual(execCommand('start'));
    expect(environmentOf(name)['PORT']).toBe(String(DEFAULT_PORT));
  });

  it('publishes each replica on its own host port, the first on the default one', () => {
    const published = REPLICAS.map((name) => field(service(name), 'ports'));
    expect(published).toEqual([[`${DEFAULT_PORT}:${DEFAULT_PORT}`], [`4001:${DEFAULT_PORT}`], [`4002:${DEFAULT_PORT}`]]);
  });

  it('makes the replicas one cluster: the same NATS and CLUSTER_NAME, a distinct CLUSTER_NODE_ID each', () => {
    const clusters = REPLICAS.map((name) => {
      const result = readConfig(environmentOf(name));
      if (!result.ok) throw new Error(`${name}: ${result.problems.join('\n')}`);
      if (result.config.cluster === undefined) throw new Error(`${name}: not a cluster replica`);
      return result.config.cluster;
    });
    expect(new Set(clusters.map((c) => c.natsUrl))).toEqual(new Set(['nats://nats:4222']));
    expect(new Set(clusters.map((c) => c.name)).size).toBe(1);
    expect(new Set(clusters.map((c) => c.nodeId))).toEqual(new Set(REPLICAS));
    for (const name of REPLICAS) expect(field(service(name), 'depends_on', 'nats', 'condition')).toBe('service_healthy');
  });

  it('uses only variables the gateway knows, with no problem and no warning', () => {
    for (const name of REPLICAS) {
      const env = environmentOf(name);
      for (const key of Object.keys(env)) expect(KNOWN_ENV_NAMES, `${name}: ${key}`).toContain(key);
      const result = readConfig(env);
      expect(result).toMatchObject({ ok: true, warnings: [] });
    }
  });

  it('checks each replica healthy once /ready answers 200', () => {
    for (const name of REPLICAS) {
      const test = field(service(name), 'healthcheck', 'test');
      expect(Array.isArray(test) ? test.join(' ') : test).toMatch(/\/ready'/);
    }
  });

  it("runs the simulator with `npm run simulator`'s command on its default port, reachable from other containers", () => {
    expect(field(service('simulator'), 'command')).toEqual(execCommand('simulator'));
    expect(simulatorEnv['SIMULATOR_PORT']).toBe(String(SIMULATOR_DEFAULT_PORT));
    expect(simulatorEnv['SIMULATOR_HOST']).toBe('0.0.0.0');
  });

  it.each(REPLICAS)('points %s at the simulator with a configuration the gateway accepts, signed with the demo account', (name) => {
    const result = readConfig(environmentOf(name));
    if (!result.ok) throw new Error(result.problems.join('\n'));
    expect(result.config).toMatchObject({
      upstream: 'coincall',
      optionsWsUrl: `ws://simulator:${SIMULATOR_DEFAULT_PORT}/options`,
      futuresWsUrl: `ws://simulator:${SIMULATOR_DEFAULT_PORT}/futures`,
      // The instrument list too: the exchange's would refuse the simulator's symbols (or, unreachable, leave none).
      restUrl: `http://simulator:${SIMULATOR_DEFAULT_PORT}`,
      apiKey: DEMO_ACCOUNT.apiKey,
      apiSecret: DEMO_ACCOUNT.apiSecret,
    });
  });

  it('checks the simulator healthy once its REST `GET /time` answers 200 (it has no /health; any other path is a 404)', () => {
    const test = field(service('simulator'), 'healthcheck', 'test');
    const command = Array.isArray(test) ? test.join(' ') : String(test);
    expect(command).toContain(`http://127.0.0.1:${SIMULATOR_DEFAULT_PORT}${TIME_PATH}'`);
    expect(command).toContain('r.ok');
  });

  it('gives every service at least the 10 s the gateway needs to stop on SIGTERM', () => {
    for (const name of [...REPLICAS, 'simulator', 'nats']) expect(field(service(name), 'stop_grace_period')).toBe('10s');
  });

  it('mounts deploy/prometheus.yml into Prometheus', () => {
    expect(field(service('prometheus'), 'volumes')).toContain('./deploy/prometheus.yml:/etc/prometheus/prometheus.yml:ro');
  });

  it('mounts deploy/alerts.yml where deploy/prometheus.yml loads its rules', () => {
    expect(field(service('prometheus'), 'volumes')).toContain('./deploy/alerts.yml:/etc/prometheus/alerts.yml:ro');
    expect(field(parse(read('deploy/prometheus.yml')) as unknown, 'rule_files')).toEqual(['/etc/prometheus/alerts.yml']);
  });
});

describe('deploy/prometheus.yml', () => {
  it("scrapes every replica's /metrics on its port", () => {
    const jobs = field(parse(read('deploy/prometheus.yml')) as unknown, 'scrape_configs');
    expect(jobs).toEqual([
      expect.objectContaining({
        metrics_path: '/metrics',
        static_configs: [{ targets: REPLICAS.map((name) => `${name}:${DEFAULT_PORT}`) }],
      }),
    ]);
  });
});

describe('deploy/alerts.yml', () => {
  const groups = field(parse(read('deploy/alerts.yml')) as unknown, 'groups');
  const rules = (Array.isArray(groups) ? groups : []).flatMap((group: unknown) => {
    const list = field(group, 'rules');
    return Array.isArray(list) ? list : [];
  });

  it('has rules, each with a name, an expression, a severity, and what it means and what to do', () => {
    expect(rules.length).toBeGreaterThanOrEqual(5);
    for (const rule of rules) {
      expect(typeof field(rule, 'alert')).toBe('string');
      expect(typeof field(rule, 'expr')).toBe('string');
      expect(['critical', 'warning', 'info']).toContain(field(rule, 'labels', 'severity'));
      expect(typeof field(rule, 'annotations', 'summary')).toBe('string');
      expect(typeof field(rule, 'annotations', 'action')).toBe('string');
    }
  });

  it('asks only for metric families the gateway serves (and `up` of its scrape job)', async () => {
    const metrics = createMetrics();
    const served = new Set([...(await metrics.render()).matchAll(/^# TYPE (\S+) /gm)].map((m) => m[1]));
    const job = field((field(parse(read('deploy/prometheus.yml')) as unknown, 'scrape_configs') as unknown[])[0], 'job_name');
    for (const rule of rules) {
      const expr = String(field(rule, 'expr'));
      for (const [name] of expr.matchAll(/\b(?:coincall_gateway|nodejs|process)_[a-z0-9_]+/g)) {
        const family = name.replace(/_(bucket|sum|count)$/, '');
        expect(served, `${String(field(rule, 'alert'))}: ${name}`).toContain(served.has(name) ? name : family);
      }
      if (/\bup\{/.test(expr)) expect(expr).toContain(`job="${String(job)}"`);
    }
  });

  it('asks the engine repairs family only for the outcomes it counts', () => {
    const asked = rules.flatMap((rule: unknown) =>
      [...String(field(rule, 'expr')).matchAll(/engine_repairs_total\{outcome="(\w+)"\}/g)].map((m) => m[1]),
    );
    expect(asked.sort()).toEqual([...REPAIR_OUTCOMES].sort());
  });

  it('fires CoincallClusterEngineDown for any replica of a cluster whose engine is down 1 min, and never for a single gateway', async () => {
    const rule: unknown = rules.find((r: unknown) => field(r, 'alert') === 'CoincallClusterEngineDown');
    expect(field(rule, 'for')).toBe('1m');
    // The engine's state, on replicas marked by a family's presence (never its value: a replica
    // whose engine is down has lost its leases, so it holds 0 topics within a lease TTL).
    const match = /^coincall_gateway_cluster_engine_up == 0 and on\(instance\) group by \(instance\) \((\w+)\)$/.exec(
      String(field(rule, 'expr')),
    );
    const marker = match?.[1] ?? 'no marker family';
    const samplesOf = async (cluster: ClusterStatus | undefined) => {
      const metrics = createMetrics({ processMetrics: false });
      metrics.bind({ upstream: () => ({ ...IDLE_UPSTREAM, ...(cluster === undefined ? {} : { cluster }) }) });
      return parsePrometheus(await metrics.render());
    };
    const single = await samplesOf(undefined);
    expect(sumOf(single, 'coincall_gateway_cluster_engine_up')).toBe(0);
    expect(single.filter((s) => s.name === marker)).toEqual([]);
    const cut = await samplesOf(DISCONNECTED_REPLICA);
    expect(sumOf(cut, 'coincall_gateway_cluster_engine_up')).toBe(0);
    expect(cut.filter((s) => s.name === marker).length).toBeGreaterThan(0);
  });
});
