/**
 * No import cycle anywhere in src/, type imports and re-exports included: a
 * plain scan of every relative `from '...'` (and `import '...'`) builds the
 * module graph, and a depth-first search reports each cycle it closes.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = new URL('../src/', import.meta.url).pathname;

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path) : path.endsWith('.ts') ? [path] : [];
  });
}

const IMPORT = /(?:from|import)\s*'(\.[^']+)'/g;

/** The module graph: each file (relative to src/) with the files it imports. */
function graph(): Map<string, string[]> {
  const edges = new Map<string, string[]>();
  for (const file of files(SRC)) {
    const text = readFileSync(file, 'utf8');
    const targets = [...text.matchAll(IMPORT)].map((m) => relative(SRC, join(dirname(file), m[1] as string)));
    edges.set(relative(SRC, file), [...new Set(targets)]);
  }
  return edges;
}

/** Every cycle a depth-first search closes, each as its files in import order. */
function cyclesOf(edges: ReadonlyMap<string, readonly string[]>): string[][] {
  const cycles: string[][] = [];
  const done = new Set<string>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const visit = (node: string) => {
    stack.push(node);
    onStack.add(node);
    for (const next of edges.get(node) ?? []) {
      if (onStack.has(next)) cycles.push(stack.slice(stack.indexOf(next)));
      else if (!done.has(next) && edges.has(next)) visit(next);
    }
    stack.pop();
    onStack.delete(node);
    done.add(node);
  };
  for (const node of [...edges.keys()].sort()) if (!done.has(node)) visit(node);
  return cycles;
}

describe('import cycles', () => {
  it('finds a cycle through type imports (the scan works)', () => {
    const edges = new Map([
      ['a.ts', ['b.ts']],
      ['b.ts', ['c.ts']],
      ['c.ts', ['a.ts']],
      ['d.ts', ['a.ts']],
    ]);
    expect(cyclesOf(edges)).toEqual([['a.ts', 'b.ts', 'c.ts']]);
  });

  it('has none in src/ (type imports included)', () => {
    const edges = graph();
    expect(edges.size).toBeGreaterThan(50);
    expect(cyclesOf(edges).map((cycle) => [...cycle, cycle[0]].join(' -> '))).toEqual([]);
  });
});
