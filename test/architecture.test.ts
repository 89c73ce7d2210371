/**
 * The one-way layers of architecture.md, kept true by a plain import scan:
 * each folder imports only the layers below it, only `main.ts` (and the
 * simulator's own entry) touch `process`, and only three files construct sockets.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = new URL('../src/', import.meta.url).pathname;

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path) : path.endsWith('.ts') ? [path] : [];
  });
}

const layerOf = (file: string) => {
  const rel = relative(SRC, file);
  return rel.includes('/') ? (rel.split('/')[0] as string) : rel.replace(/\.ts$/, '');
};

/** Which layers each layer may import (besides itself). */
const ALLOWED: Record<string, readonly string[]> = {
  lib: [],
  // the gateway's own access checks (keys, JWT, per-key counts): pure but for reading their files.
  auth: ['lib'],
  coincall: ['lib'],
  channels: ['lib', 'coincall'],
  // the source-agnostic core: no exchange, engine or transport code.
  hub: ['lib', 'channels'],
  sources: ['lib', 'coincall', 'channels', 'hub'],
  simulator: ['lib', 'coincall', 'channels'],
  graphql: ['lib', 'coincall', 'channels', 'hub', 'sources'],
  // server reads a channel's delivery policy from its subscription field's GraphQL extensions, not from channels/.
  server: ['lib', 'coincall', 'graphql', 'hub', 'sources', 'auth'],
  config: ['lib', 'auth'],
  app: ['auth', 'lib', 'coincall', 'channels', 'hub', 'sources', 'simulator', 'graphql', 'server', 'config'],
  main: ['app', 'config', 'lib'],
};

const sources = files(SRC).map((file) => ({ file, rel: relative(SRC, file), text: readFileSync(file, 'utf8') }));

describe('layers', () => {
  it.each(sources.map((s) => [s.rel, s]))('%s imports only the layers below it', (_rel, source) => {
    const layer = layerOf(source.file);
    const allowed = ALLOWED[layer] ?? [];
    expect(ALLOWED[layer], `unknown layer ${layer}`).toBeDefined();
    for (const [, spec] of source.text.matchAll(/from '(\.[^']+)'/g)) {
      const target = layerOf(join(source.file, '..', spec as string));
      if (target === layer) continue;
      expect(allowed, `${source.rel} imports ${spec}`).toContain(target);
    }
  });

  it('touches process only in the entry points', () => {
    const users = sources.filter((s) => /\bprocess\./.test(s.text)).map((s) => s.rel);
    expect(users.sort()).toEqual(['main.ts', 'simulator/simulator-main.ts']);
  });

  it('constructs sockets in three places only', () => {
    const constructors = sources.filter((s) => /new WebSocket(Server)?\(|createServer\(/.test(s.text)).map((s) => s.rel);
    expect(constructors.sort()).toEqual(['server/gateway-server.ts', 'simulator/server.ts', 'sources/coincall/connection.ts'].sort());
  });

  it('uses no `any`', () => {
    for (const s of sources) expect(s.text, s.rel).not.toMatch(/:\s*any\b|as any\b|<any>/);
  });
});

/** Longest a source file may be (split by job past it). */
const MAX_LINES = 300;
/**
 * Folders whose files are one per channel and may share a name across them: the
 * folder names the market (`channels/options/kline.ts`, `channels/futures/kline.ts`)
 * or the shape both markets decode into (`channels/shapes/kline.ts`).
 */
const PER_CHANNEL_FOLDERS = ['channels/options', 'channels/futures', 'channels/shapes'];

describe('structure', () => {
  it('no two files share a name (one per channel in each market folder aside)', () => {
    const byName = new Map<string, string[]>();
    for (const s of sources) {
      const name = s.rel.split('/').at(-1) ?? s.rel;
      byName.set(name, [...(byName.get(name) ?? []), s.rel]);
    }
    const perChannel = (rel: string) => PER_CHANNEL_FOLDERS.some((folder) => rel.startsWith(`${folder}/`));
    const shared = [...byName.values()].filter((paths) => paths.length > 1 && !paths.every(perChannel));
    expect(shared).toEqual([]);
  });

  it(`has no file over ${MAX_LINES} lines`, () => {
    const long = sources.filter((s) => s.text.split('\n').length > MAX_LINES + 1).map((s) => `${s.rel}: ${s.text.split('\n').length - 1}`);
    expect(long).toEqual([]);
  });
});
