/**
 * The server's structure (issue 16): no import cycle among the files of
 * `src/server/` (type imports included), and no file there over 300 lines.
 * A plain scan of the sources, like the layer test.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const SERVER = resolve(import.meta.dirname, '../src/server');
const MAX_LINES = 300;

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return files(path);
    return path.endsWith('.ts') ? [path] : [];
  });
}

/** Each file's relative imports (`import` and `export ... from`, types included), resolved. */
function importGraph(paths: readonly string[]): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const path of paths) {
    const text = readFileSync(path, 'utf8');
    const targets = [...text.matchAll(/(?:import|export)\s[^;]*?from\s+'(\.[^']+)'/g)].map((m) => resolve(dirname(path), m[1] ?? ''));
    graph.set(path, targets);
  }
  return graph;
}

/** One cycle in `graph`, as a path of files, or undefined. */
function findCycle(graph: Map<string, string[]>): string[] | undefined {
  const done = new Set<string>();
  const onPath: string[] = [];
  const visit = (node: string): string[] | undefined => {
    const at = onPath.indexOf(node);
    if (at >= 0) return [...onPath.slice(at), node];
    if (done.has(node) || !graph.has(node)) return undefined;
    onPath.push(node);
    for (const next of graph.get(node) ?? []) {
      const cycle = visit(next);
      if (cycle !== undefined) return cycle;
    }
    onPath.pop();
    done.add(node);
    return undefined;
  };
  for (const node of graph.keys()) {
    const cycle = visit(node);
    if (cycle !== undefined) return cycle;
  }
  return undefined;
}

describe('src/server structure', () => {
  const paths = files(SERVER);

  it('has no import cycle, type imports included', () => {
    const cycle = findCycle(importGraph(paths));
    expect(cycle?.map((path) => relative(SERVER, path))).toBeUndefined();
  });

  it(`has no file over ${MAX_LINES} lines`, () => {
    const long = paths
      .filter((path) => readFileSync(path, 'utf8').split('\n').length > MAX_LINES + 1)
      .map((path) => relative(SERVER, path));
    expect(long).toEqual([]);
  });

  it('finds a cycle when there is one (the scan works)', () => {
    const graph = new Map([
      ['a', ['b']],
      ['b', ['c']],
      ['c', ['a']],
    ]);
    expect(findCycle(graph)).toEqual(['a', 'b', 'c', 'a']);
  });
});
