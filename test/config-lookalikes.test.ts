/**
 * A misspelt setting is not ignored in silence: a variable that looks like one
 * of the gateway's own (its prefix, or a few edits from a known name) is
 * reported at start with the closest known name; the system's own variables
 * (PATH, HOME, HOSTNAME, HTTP_PROXY) are left alone.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ENV_PREFIXES, KNOWN_ENV_NAMES, readConfig } from '../src/config.ts';

const warningsOf = (env: Record<string, string>): readonly string[] => {
  const result = readConfig(env);
  if (!result.ok) throw new Error(result.problems.join('\n'));
  return result.warnings;
};

describe('misspelt settings', () => {
  it('MAX_CONECTIONS is reported, naming MAX_CONNECTIONS', () => {
    expect(warningsOf({ MAX_CONECTIONS: '10' })).toEqual([
      'MAX_CONECTIONS is not a setting of the gateway and is ignored; did you mean MAX_CONNECTIONS?',
    ]);
  });

  it.each([
    ['COINCALL_APIKEY', 'COINCALL_API_KEY'],
    ['UPSTREAM_MAX_FRAME_BYTE', 'UPSTREAM_MAX_FRAME_BYTES'],
    ['CLUSTER_NATS_URI', 'CLUSTER_NATS_URL'],
    ['RESUME_WINDOW', 'RESUME_WINDOW_MS'],
    ['GATEWAY_AUTHS', 'GATEWAY_AUTH'],
    ['LOG_LEVLE', 'LOG_LEVEL'],
    ['CORS_ORIGIN', 'CORS_ORIGINS'],
  ])('%s is reported, naming %s', (variable, known) => {
    expect(warningsOf({ [variable]: '1' })).toEqual([`${variable} is not a setting of the gateway and is ignored; did you mean ${known}?`]);
  });

  it("a variable with the gateway's prefix and no close name is still reported", () => {
    expect(warningsOf({ COINCALL_REGION: 'eu' })).toEqual(['COINCALL_REGION is not a setting of the gateway and is ignored']);
  });

  it("known settings and the system's own variables give no warning", () => {
    const env = {
      PATH: '/usr/bin',
      HOME: '/root',
      HOSTNAME: 'gw-1',
      HTTP_PROXY: 'http://proxy:3128',
      NODE_ENV: 'production',
      PWD: '/app',
      MAX_CONNECTIONS: '10',
      PORT: '4000',
      HOST: '127.0.0.1',
    };
    expect(warningsOf(env)).toEqual([]);
  });

  it('every name that config.ts and lib/limits.ts (with lib/upstream-limits.ts) read is a known name', () => {
    const read = ['../src/config.ts', '../src/lib/limits.ts', '../src/lib/upstream-limits.ts'].flatMap((file) => [
      ...readFileSync(new URL(file, import.meta.url), 'utf8').matchAll(
        /(?:env\[|env: |Setting\(env, |readInteger\(env, |readHost\(env, )'([A-Z][A-Z0-9_]+)'/g,
      ),
    ]);
    expect(read.length).toBeGreaterThan(20);
    for (const [, name] of read) expect(KNOWN_ENV_NAMES, `${name ?? ''} is read but unknown`).toContain(name);
  });

  it('no known name starts with a prefix that another program commonly uses', () => {
    for (const prefix of ENV_PREFIXES) expect(['HTTP_', 'NODE_', 'npm_']).not.toContain(prefix);
  });
});
