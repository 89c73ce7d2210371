/**
 * The operator's side of partner keys, run as an operator runs it, each in
 * its own process: `npm run keys -- add` prints a new key once on stdout and
 * writes only its sha256 (with scopes and limits) to GATEWAY_KEYS_FILE,
 * `remove` drops it; the gateway (`src/main.ts`) admits the key it printed,
 * and re-reads the keys file on SIGHUP even when nothing about the file
 * changed (the signal would otherwise end the process).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { sha256Hex } from '../src/auth/keys-file.ts';
import { bearer, post } from './helpers/access.ts';

const ROOT = new URL('..', import.meta.url).pathname;
/** Three processes started through tsx (keys add, the gateway, keys remove): 25-40 s on a busy 2-core machine. */
const PROCESS_TIMEOUT_MS = 120_000;
const LISTENING = /listening on (http:\/\/[^\s"]+)/;
const RELOADED = /keys file reloaded/g;

const started: ChildProcess[] = [];
const dirs: string[] = [];

afterEach(() => {
  for (const child of started.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** Runs a TypeScript entry point with `env` on a clean environment; its output so far, and its exit. */
function run(script: string, args: readonly string[], env: Record<string, string>) {
  const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], {
    cwd: ROOT,
    env: { PATH: process.env['PATH'] ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  started.push(child);
  let stdout = '';
  let stderr = '';
  const watchers = new Set<() => void>();
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
    for (const watcher of watchers) watcher();
  });
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
    for (const watcher of watchers) watcher();
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  /** Resolves once `check` holds on stdout; rejects if the process exits first. */
  const until = (check: (out: string) => boolean, what: string) =>
    new Promise<void>((resolve, reject) => {
      const watcher = () => {
        if (!check(stdout)) return;
        watchers.delete(watcher);
        resolve();
      };
      watchers.add(watcher);
      void exited.then((code) => reject(new Error(`${script} exited (${String(code)}) before ${what}:\n${stdout}\n${stderr}`)));
      watcher();
    });
  return { child, exited, until, stdout: () => stdout, stderr: () => stderr };
}

function keysFilePath(): string {
  const dir = mkdtempSync(join(tmpdir(), 'gateway-operator-'));
  dirs.push(dir);
  return join(dir, 'keys.json');
}

describe('npm run keys and the gateway process', () => {
  it(
    'adds a key printed once, which the gateway admits; re-reads the file on SIGHUP; removes it',
    { timeout: PROCESS_TIMEOUT_MS },
    async () => {
      const file = keysFilePath();
      const add = run('scripts/keys.ts', ['add', 'partner-a', '--scopes', 'public', '--max-connections', '5'], {
        GATEWAY_KEYS_FILE: file,
      });
      expect(await add.exited).toBe(0);
      const key = add.stdout().trim();
      expect(key).toMatch(/^cgw_[A-Za-z0-9_-]{40,}$/);
      expect(add.stderr()).toMatch(/Key partner-a added/);
      const written = readFileSync(file, 'utf8');
      expect(written).not.toContain(key);
      expect(JSON.parse(written)).toEqual({ keys: [{ id: 'partner-a', sha256: sha256Hex(key), scopes: ['public'], maxConnections: 5 }] });

      const gateway = run('src/main.ts', [], {
        GATEWAY_AUTH: 'keys',
        GATEWAY_KEYS_FILE: file,
        HOST: '127.0.0.1',
        PORT: '0',
        LOG_LEVEL: 'info',
      });
      await gateway.until((out) => LISTENING.test(out), 'listening');
      const url = `${LISTENING.exec(gateway.stdout())?.[1] ?? ''}`;
      expect((await post(url, { query: '{ status { mode } }' }, bearer(key))).status).toBe(200);
      expect((await post(url, { query: '{ status { mode } }' })).status).toBe(401);

      const reloads = () => gateway.stdout().match(RELOADED)?.length ?? 0;
      const before = reloads();
      gateway.child.kill('SIGHUP');
      await gateway.until(() => reloads() > before, 'the reload on SIGHUP');
      expect(gateway.child.exitCode).toBeNull();

      const remove = run('scripts/keys.ts', ['remove', 'partner-a'], { GATEWAY_KEYS_FILE: file });
      expect(await remove.exited).toBe(0);
      expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({ keys: [] });
      await gateway.until(() => reloads() > before + 1, 'the reload after the removal');
      expect((await post(url, { query: '{ status { mode } }' }, bearer(key))).status).toBe(401);
      expect(gateway.stdout() + gateway.stderr()).not.toContain(key);
      gateway.child.kill('SIGTERM');
      expect(await gateway.exited).toBe(0);
    },
  );
});
