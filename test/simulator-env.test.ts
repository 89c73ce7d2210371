/**
 * `npm run simulator`'s environment: the wire form and extra accounts can be
 * chosen, and bad configuration is refused with one message that lists every
 * problem (never a secret). The parsing is tested directly; the entry point
 * is run once as a user runs it, with good and with bad configuration.
 */
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { parseFrame } from '../src/coincall/protocol.ts';
import { signedUrl } from '../src/coincall/signing.ts';
import { DEFAULT_PORT, readSimulatorEnv, type SimulatorEnv } from '../src/simulator/simulator-env.ts';
import { DEMO_ACCOUNT } from '../src/simulator/index.ts';
import { TestClient } from './helpers/ws-client.ts';

function envOf(vars: Record<string, string>): SimulatorEnv {
  const read = readSimulatorEnv(vars);
  if (!read.ok) throw new Error(`refused: ${read.problems.join(' | ')}`);
  return read.env;
}

function problemsOf(vars: Record<string, string>): readonly string[] {
  const read = readSimulatorEnv(vars);
  if (read.ok) throw new Error('accepted');
  return read.problems;
}

describe('reading the simulator environment', () => {
  it('defaults: port 8090 on 127.0.0.1, the live wire form, the demo account, the lenient idle rule', () => {
    expect(envOf({})).toEqual({ port: DEFAULT_PORT, host: '127.0.0.1', wireForm: 'live', accounts: [DEMO_ACCOUNT], strictIdle: false });
  });

  it.each(['spec', 'live', 'mixed', 'LIVE', ' spec '])('SIMULATOR_WIRE_FORM=%s chooses that form', (form) => {
    expect(envOf({ SIMULATOR_WIRE_FORM: form }).wireForm).toBe(form.trim().toLowerCase());
  });

  it('SIMULATOR_ACCOUNTS adds accounts after the main one, with given or generated distinct user ids', () => {
    const { accounts } = envOf({
      SIMULATOR_ACCOUNTS: 'aliceKEY+0/1==:alice-secret:1111111111, bob_KEY-2:bob-secret ,carolKEY:carol-secret,',
    });
    expect(accounts).toEqual([
      DEMO_ACCOUNT,
      { apiKey: 'aliceKEY+0/1==', apiSecret: 'alice-secret', userId: '1111111111' },
      { apiKey: 'bob_KEY-2', apiSecret: 'bob-secret', userId: '1000000001' },
      { apiKey: 'carolKEY', apiSecret: 'carol-secret', userId: '1000000002' },
    ]);
  });

  it('a generated user id never repeats one that was given', () => {
    const { accounts } = envOf({ SIMULATOR_ACCOUNTS: 'a:s,b:s:1000000001' });
    expect(accounts.map((a) => a.userId)).toEqual([DEMO_ACCOUNT.userId, '1000000002', '1000000001']);
  });

  it('SIMULATOR_API_KEY and SIMULATOR_API_SECRET replace the demo account', () => {
    const { accounts } = envOf({ SIMULATOR_API_KEY: 'mine+Key==', SIMULATOR_API_SECRET: 'mine' });
    expect(accounts).toEqual([{ apiKey: 'mine+Key==', apiSecret: 'mine', userId: DEMO_ACCOUNT.userId }]);
  });

  it('SIMULATOR_STRICT_IDLE turns on the exchange’s full idle rule', () => {
    expect(envOf({ SIMULATOR_STRICT_IDLE: 'true' }).strictIdle).toBe(true);
    expect(envOf({ SIMULATOR_STRICT_IDLE: '1' }).strictIdle).toBe(true);
    expect(envOf({ SIMULATOR_STRICT_IDLE: 'false' }).strictIdle).toBe(false);
  });

  it('lists every problem at once, and never a secret', () => {
    const problems = problemsOf({
      SIMULATOR_PORT: 'eighty',
      SIMULATOR_WIRE_FORM: 'json',
      SIMULATOR_STRICT_IDLE: 'maybe',
      SIMULATOR_API_KEY: 'only-the-key',
      SIMULATOR_ACCOUNTS: 'no-secret-here,ok:TOPSECRET-1:12a,bad key:TOPSECRET-2,dup:TOPSECRET-3,dup:TOPSECRET-4,a:b:c:d',
    });
    expect(problems).toEqual([
      'SIMULATOR_PORT must be an integer from 0 to 65535, got "eighty".',
      'SIMULATOR_WIRE_FORM must be one of spec, live, mixed, got "json".',
      'SIMULATOR_STRICT_IDLE must be true or false (or 1 / 0), got "maybe".',
      'SIMULATOR_API_KEY and SIMULATOR_API_SECRET must be set together (or neither, for the demo account).',
      'SIMULATOR_ACCOUNTS entry 1 must be apiKey:apiSecret or apiKey:apiSecret:userId.',
      'SIMULATOR_ACCOUNTS entry 2: the user id must be digits, got "12a".',
      'SIMULATOR_ACCOUNTS entry 3: the API key may hold only letters, digits and + / = _ . - (it goes into the URL raw).',
      'SIMULATOR_ACCOUNTS entry 6 must be apiKey:apiSecret or apiKey:apiSecret:userId.',
      'SIMULATOR_ACCOUNTS: the API key "dup" appears more than once (SIMULATOR_API_KEY and the demo key count too).',
    ]);
    expect(problems.join('\n')).not.toMatch(/TOPSECRET/);
  });

  it('refuses an extra account that reuses the demo key', () => {
    expect(problemsOf({ SIMULATOR_ACCOUNTS: `${DEMO_ACCOUNT.apiKey}:other` })).toHaveLength(1);
  });

  it.each(['256.1.1.1', 'my host', 'bad_name.local'])('refuses SIMULATOR_HOST=%s, as the gateway refuses such a HOST', (host) => {
    expect(problemsOf({ SIMULATOR_HOST: host })).toEqual([expect.stringContaining('SIMULATOR_HOST must be an IP address')]);
  });

  it.each(['-1', '65536', '80.5', '0x50'])('refuses SIMULATOR_PORT=%s', (port) => {
    expect(problemsOf({ SIMULATOR_PORT: port })).toHaveLength(1);
  });
});

const require = createRequire(import.meta.url);
const TSX = require.resolve('tsx/cli');
const MAIN = new URL('../src/simulator/simulator-main.ts', import.meta.url).pathname;

function run(env: Record<string, string>) {
  const child = spawn(process.execPath, [TSX, MAIN], {
    env: { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, exited, output: () => out };
}

describe('npm run simulator', () => {
  it('serves the wire form and the extra accounts the environment names', async () => {
    const extra = { apiKey: 'extraKEY+9/8==', apiSecret: 'extra-secret', userId: '4444444444' };
    const sim = run({
      SIMULATOR_PORT: '0',
      SIMULATOR_WIRE_FORM: 'spec',
      SIMULATOR_ACCOUNTS: `${extra.apiKey}:${extra.apiSecret}:${extra.userId}`,
    });
    let client: TestClient | undefined;
    const clients: TestClient[] = [];
    try {
      const deadline = Date.now() + 20_000;
      let futures: string | undefined;
      while (futures === undefined && Date.now() < deadline) {
        futures = /futures\s+(ws:\/\/\S+)/.exec(sim.output())?.[1];
        await new Promise((r) => setTimeout(r, 50));
      }
      expect(futures, sim.output()).toBeDefined();
      expect(sim.output()).toContain('wire form spec');
      const isData = (dt: number) => (text: string) => {
        const frame = parseFrame(text);
        return frame.kind === 'data' && frame.dt === dt;
      };
      client = await TestClient.connect(signedUrl(futures as string, extra, Date.now()));
      client.send({ action: 'subscribe', dataType: 'orderBook', payload: { symbol: 'BTCUSD' } });
      const book = JSON.parse((await client.waitFor(isData(32))).text) as { d: { bids: Array<Record<string, unknown>> } };
      expect(book.d.bids[0], 'a spec-form level').toEqual({ pr: expect.any(String), v: expect.any(Number) });
      const options = futures?.replace(/\/futures$/, '/options') as string;
      const account = await TestClient.connect(signedUrl(options, extra, Date.now()));
      clients.push(account);
      account.send({ action: 'subscribe', dataType: 'accountBalance' });
      const balance = JSON.parse((await account.waitFor(isData(7))).text) as { d: Record<string, unknown> };
      expect(balance.d['u'], "the extra account's own balance").toBe(Number(extra.userId));
      sim.child.kill('SIGTERM');
      expect(await sim.exited).toBe(0);
    } finally {
      client?.close();
      for (const c of clients) c.close();
      sim.child.kill('SIGKILL');
    }
  }, 40_000);

  it('refuses bad configuration with one message listing every problem', async () => {
    const sim = run({ SIMULATOR_PORT: 'eighty', SIMULATOR_WIRE_FORM: 'json', SIMULATOR_ACCOUNTS: 'no-secret' });
    expect(await sim.exited).toBe(2);
    const output = sim.output();
    expect(output.match(/Invalid simulator configuration/g)).toHaveLength(1);
    for (const name of ['SIMULATOR_PORT', 'SIMULATOR_WIRE_FORM', 'SIMULATOR_ACCOUNTS']) expect(output).toContain(name);
  }, 30_000);
});
