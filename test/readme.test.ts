/**
 * README stays true to the code: every source file it names exists (its
 * "How it is built" drew `upstream/` long after that folder was split into
 * `hub/` and `sources/coincall/`), and the `useQuery` snippet's imports
 * resolve to modules that export what it uses (Apollo Client 4 moved the
 * React hooks to `@apollo/client/react`).
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = new URL('../', import.meta.url).pathname;
const README = readFileSync(join(ROOT, 'README.md'), 'utf8');

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path) : [path];
  });
}
const SOURCES = files(join(ROOT, 'src')).map((path) => path.slice(ROOT.length));

/** The README's section under `## title`, up to the next `## `. */
function section(title: string): string {
  const start = README.indexOf(`## ${title}\n`);
  const end = README.indexOf('\n## ', start + 1);
  return README.slice(start, end < 0 ? undefined : end);
}

/** Whether `name` (a path relative to `under`, or to src/, or a bare file name found below `under`) is a source file. */
const named = (name: string, under: string) =>
  name.includes('/')
    ? SOURCES.includes(join(under, name)) || SOURCES.includes(join('src', name)) || SOURCES.some((path) => path.endsWith(`/${name}`))
    : SOURCES.some((path) => path.startsWith(`${under}/`) && path.endsWith(`/${name}`));

describe('README names files that exist', () => {
  it('every src/… path', () => {
    const paths = [...README.matchAll(/\bsrc\/[\w./-]+\.ts\b/g)].map((m) => m[0]);
    expect(paths.length).toBeGreaterThan(0);
    expect(paths.filter((path) => !existsSync(join(ROOT, path)))).toEqual([]);
  });

  it('every file of the layer description, in the folder its bullet names', () => {
    const missing: string[] = [];
    // Each top-level bullet `- \`src/x/\`: …` with its continuation lines.
    for (const bullet of section('How it is built').split(/\n(?=- )/)) {
      const folder = /^- `(src\/[\w/]+?)\/?`/.exec(bullet)?.[1];
      if (folder === undefined) continue;
      for (const [, name] of bullet.matchAll(/`([\w./-]+\.ts)`/g))
        if (name !== undefined && !name.startsWith('test/') && !name.startsWith('src/') && !named(name, folder))
          missing.push(`${folder}: ${name}`);
    }
    expect(missing).toEqual([]);
  });

  it('every file of the drawn pipe', () => {
    const drawings = [...section('How it is built').matchAll(/```\n([\s\S]*?)```/g)].map((m) => m[1] ?? '');
    expect(drawings.join('\n')).toMatch(/hub\//);
    const names = drawings.flatMap((text) => [...text.matchAll(/[\w/-]+\.ts\b/g)].map((m) => m[0]));
    expect(names.filter((name) => !named(name, 'src') && !(name === 'main.ts' || name === 'app.ts'))).toEqual([]);
  });
});

describe("README's useQuery snippet", () => {
  const start = README.indexOf('### Initial state, then live updates');
  const snippet = /```tsx\n([\s\S]*?)```/.exec(README.slice(start))?.[1] ?? '';
  const imports = [...snippet.matchAll(/^import \{ ([^}]+) \} from '([^']+)';/gm)].map((m) => ({
    names: (m[1] ?? '').split(',').map((name) => name.trim()),
    from: m[2] ?? '',
  }));

  it('imports gql from @apollo/client and useQuery from @apollo/client/react (Apollo Client 4), useEffect from react', () => {
    expect(imports).toEqual([
      { names: ['gql'], from: '@apollo/client' },
      { names: ['useQuery'], from: '@apollo/client/react' },
      { names: ['useEffect'], from: 'react' },
    ]);
    for (const used of ['gql`', 'useQuery(', 'useEffect(']) expect(snippet).toContain(used);
  });

  it('imports names its modules export', async () => {
    for (const { names, from } of imports) {
      const module: Record<string, unknown> = await import(from);
      for (const name of names) expect(typeof module[name], `${name} from ${from}`).toBe('function');
    }
  });
});
