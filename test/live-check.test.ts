/**
 * `npm run live-check` (the opt-in check against the real exchange), run
 * here against what a test may use: with no key it checks the built-in
 * simulator and passes, one line per channel; pointed at an exchange that is
 * not there it fails with exit code 1, saying which channels sent nothing.
 */
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { CHANNELS, ALL_CHANNELS } from '../src/channels/registry.ts';
import { unreachableUrl } from './helpers/rest-exchange.ts';

const ROOT = new URL('..', import.meta.url).pathname;

/** Runs the live check with `env` added to a clean environment; resolves with its exit code and output. */
function liveCheck(env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/live-check.ts'], {
      cwd: ROOT,
      env: { PATH: process.env['PATH'] ?? '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, output }));
  });
}

describe('npm run live-check', () => {
  it(
    'passes against the built-in simulator without a key: every channel, private ones too, sends its first event',
    { timeout: 90_000 },
    async () => {
      const { code, output } = await liveCheck({ LIVE_CHECK_PRIVATE: '1', LIVE_CHECK_TIMEOUT_MS: '30000' });
      expect(output).toContain('against the built-in simulator');
      for (const channel of ALL_CHANNELS) expect(output).toMatch(new RegExp(`^${channel.id} .* ok: first event after \\d+ ms$`, 'm'));
      expect(output).toContain('dropped frames: unknown dt 0, undecodable 0');
      expect(output).toContain('live-check: passed');
      expect(code).toBe(0);
    },
  );

  it('fails with exit code 1 against an exchange that is not there, naming the silent channels', { timeout: 60_000 }, async () => {
    const nowhere = await unreachableUrl();
    const { code, output } = await liveCheck({
      COINCALL_API_KEY: 'someKEY+0000==',
      COINCALL_API_SECRET: 'some-secret',
      COINCALL_OPTIONS_WS_URL: `${nowhere.replace(/^http/, 'ws')}/options`,
      COINCALL_FUTURES_WS_URL: `${nowhere.replace(/^http/, 'ws')}/futures`,
      COINCALL_REST_URL: nowhere,
      LIVE_CHECK_TIMEOUT_MS: '1000',
    });
    expect(output).toContain('against Coincall');
    expect(output).toMatch(new RegExp(`^${CHANNELS.futuresOrderBook.id} .* no event within 1000 ms$`, 'm'));
    expect(output).not.toContain('accountBalance');
    expect(output).toContain('live-check: FAILED');
    expect(code).toBe(1);
  });
});
