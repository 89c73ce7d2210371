/**
 * Configuration: defaults, every guard limit read from its environment
 * variable, one message listing every problem, and the documented table of
 * limits (docs/configuration-limits.md) in step with the code's.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { readConfig } from '../src/config.ts';
import { DEFAULT_LIMITS, LIMIT_NAMES, LIMIT_SETTINGS } from '../src/lib/limits.ts';

describe('readConfig', () => {
  it('defaults to the simulator with every default limit', () => {
    const result = readConfig({});
    expect(result).toMatchObject({ ok: true, config: { upstream: 'simulator', port: 4000, limits: DEFAULT_LIMITS } });
  });

  it('reads TRUST_PROXY as a list of addresses and CIDR blocks, none by default, and refuses anything else', () => {
    expect(readConfig({})).toMatchObject({ ok: true, config: { trustProxy: [] } });
    expect(readConfig({ TRUST_PROXY: ' 10.0.0.0/8, 127.0.0.1,::1/128 ' })).toMatchObject({
      ok: true,
      config: { trustProxy: ['10.0.0.0/8', '127.0.0.1', '::1/128'] },
    });
    const bad = readConfig({ TRUST_PROXY: '10.0.0.0/33,proxy.local' });
    expect(bad.ok ? [] : bad.problems).toEqual([
      'TRUST_PROXY must list IP addresses or CIDR blocks (e.g. 10.0.0.0/8,127.0.0.1): "10.0.0.0/33" has a prefix length outside 0–32.',
      'TRUST_PROXY must list IP addresses or CIDR blocks (e.g. 10.0.0.0/8,127.0.0.1): "proxy.local" is not an IP address or CIDR block.',
    ]);
  });

  it('reads every limit from its variable', () => {
    const env = Object.fromEntries(LIMIT_NAMES.map((name) => [LIMIT_SETTINGS[name].env, String(LIMIT_SETTINGS[name].min + 1)]));
    const result = readConfig(env);
    if (!result.ok) throw new Error(result.problems.join('\n'));
    for (const name of LIMIT_NAMES) expect(result.config.limits?.[name], name).toBe(LIMIT_SETTINGS[name].min + 1);
  });

  it('lists every problem at once: bad limits next to the other settings', () => {
    const result = readConfig({
      PORT: 'http',
      LOG_LEVEL: 'loud',
      WS_MAX_MESSAGE_BYTES: '12',
      MAX_QUERY_DEPTH: 'deep',
      MAX_CONNECTIONS: '-1',
      WS_CONNECTION_INIT_TIMEOUT_MS: '1.5',
    });
    expect(result.ok).toBe(false);
    const problems = result.ok ? [] : result.problems;
    expect(problems).toHaveLength(6);
    for (const variable of [
      'PORT',
      'LOG_LEVEL',
      'WS_MAX_MESSAGE_BYTES',
      'MAX_QUERY_DEPTH',
      'MAX_CONNECTIONS',
      'WS_CONNECTION_INIT_TIMEOUT_MS',
    ])
      expect(
        problems.some((p) => p.startsWith(variable)),
        variable,
      ).toBe(true);
    expect(problems.find((p) => p.startsWith('WS_MAX_MESSAGE_BYTES'))).toContain('from 1024 to');
  });

  it.each(['0.0.0.0', '127.0.0.1', '::', '::1', 'localhost', 'gateway.internal', 'my-host-1'])('accepts HOST=%s', (host) => {
    expect(readConfig({ HOST: host })).toMatchObject({ ok: true, config: { host } });
  });

  it.each(['0x50', '1e3', '80.0', ' '])('takes PORT=%j only in decimal digits (or as unset)', (port) => {
    const result = readConfig({ PORT: port });
    if (port.trim() === '') expect(result).toMatchObject({ ok: true, config: { port: 4000 } });
    else expect(result.ok ? [] : result.problems).toEqual([expect.stringContaining('PORT must be an integer')]);
  });

  it('listens on every interface when HOST is unset', () => {
    expect(readConfig({})).toMatchObject({ ok: true, config: { host: '0.0.0.0' } });
  });

  it.each(['not a host', 'http://localhost', 'localhost:4000', '256.1.1.1', '-edge', 'under_score.example', '[::1]'])(
    'lists HOST=%s among the other problems',
    (host) => {
      const result = readConfig({ HOST: host, PORT: 'http' });
      const problems = result.ok ? [] : result.problems;
      expect(problems).toHaveLength(2);
      expect(problems.find((p) => p.startsWith('HOST'))).toContain(`got "${host}"`);
      expect(problems.some((p) => p.startsWith('PORT'))).toBe(true);
    },
  );

  it('writes JSON log lines unless LOG_FORMAT asks for pretty ones', () => {
    expect(readConfig({})).toMatchObject({ ok: true, config: { logFormat: 'json' } });
    expect(readConfig({ LOG_FORMAT: 'pretty' })).toMatchObject({ ok: true, config: { logFormat: 'pretty' } });
    expect(readConfig({ LOG_FORMAT: 'json' })).toMatchObject({ ok: true, config: { logFormat: 'json' } });
  });

  it('lists a bad LOG_FORMAT among the other problems, naming the accepted values', () => {
    const result = readConfig({ LOG_FORMAT: 'colour', LOG_LEVEL: 'loud' });
    const problems = result.ok ? [] : result.problems;
    expect(problems).toHaveLength(2);
    expect(problems.find((p) => p.startsWith('LOG_FORMAT'))).toBe('LOG_FORMAT must be one of json, pretty, got "colour".');
  });

  it('keeps an empty variable at its default', () => {
    const result = readConfig({ MAX_ALIASES: '' });
    expect(result.ok && result.config.limits?.maxAliases).toBe(DEFAULT_LIMITS.maxAliases);
  });
});

describe('docs/configuration-limits.md', () => {
  const doc = readFileSync(new URL('../docs/configuration-limits.md', import.meta.url), 'utf8');
  it.each(LIMIT_NAMES.map((n) => [LIMIT_SETTINGS[n].env, LIMIT_SETTINGS[n]]))(
    'documents %s with its default and its range, in every table that lists it',
    (env, setting) => {
      const rows = doc.split('\n').filter((line) => line.startsWith(`| \`${env}\` |`));
      expect(rows.length, `a table row for ${env}`).toBeGreaterThan(0);
      for (const row of rows) expect(row).toContain(`| ${setting.fallback} | ${setting.min} – ${setting.max} |`);
    },
  );
});

describe('README.md', () => {
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
  it.each(LIMIT_NAMES.map((n) => [LIMIT_SETTINGS[n].env, LIMIT_SETTINGS[n]]))(
    'lists %s with its default in the configuration table',
    (env, setting) => {
      const row = readme.split('\n').find((line) => line.startsWith(`| \`${env}\` |`));
      expect(row, `a table row for ${env}`).toBeDefined();
      expect(row).toContain(`| \`${setting.fallback}\` |`);
    },
  );
});

describe('instrument list settings', () => {
  it('default to Coincall and a minute', () => {
    expect(readConfig({})).toMatchObject({ ok: true, config: { restUrl: 'https://api.coincall.com', instrumentsRefreshMs: 60_000 } });
  });

  it('take an http(s) COINCALL_REST_URL and an INSTRUMENTS_REFRESH_MS within range', () => {
    expect(readConfig({ COINCALL_REST_URL: 'http://127.0.0.1:8090', INSTRUMENTS_REFRESH_MS: '5000' })).toMatchObject({
      ok: true,
      config: { restUrl: 'http://127.0.0.1:8090', instrumentsRefreshMs: 5_000 },
    });
  });

  it('refuse anything else, naming the variable', () => {
    const result = readConfig({ COINCALL_REST_URL: 'ws://api.coincall.com', INSTRUMENTS_REFRESH_MS: '10' });
    expect(result.ok ? [] : result.problems).toEqual([
      expect.stringContaining('COINCALL_REST_URL must be an http:// or https:// URL'),
      expect.stringContaining('INSTRUMENTS_REFRESH_MS'),
    ]);
  });
});
