/**
 * The option symbols the exchange's example frames (test/fixtures/*.json)
 * name: tests that replay those frames on the simulator list them as its
 * `extraOptions`, since they sit far from the simulated money (May 2023).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { parseOptionSymbol } from '../../src/coincall/symbols.ts';
import { underlyingSpec } from '../../src/simulator/instrument-specs.ts';

const OPTION_LIKE = /\b[A-Z0-9]{2,15}USD-\d{1,2}[A-Z]{3}\d{2}-[0-9.]+-[CP]\b/g;

export function fixtureOptionSymbols(): string[] {
  const dir = new URL('../fixtures/', import.meta.url);
  const found = new Set<string>();
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.json')))
    for (const match of readFileSync(new URL(file, dir), 'utf8').matchAll(OPTION_LIKE)) {
      const parsed = parseOptionSymbol(match[0]);
      if (parsed !== undefined && underlyingSpec(parsed.underlying) !== undefined) found.add(match[0]);
    }
  return [...found].sort();
}
