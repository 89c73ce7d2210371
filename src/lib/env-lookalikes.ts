/**
 * Misspelt settings: environment variables that look like a program's own
 * but are not one of them (`MAX_CONECTIONS`) would otherwise be ignored in
 * silence. A variable is a lookalike when it starts with one of the
 * program's own prefixes (`MAX_`, `COINCALL_`, …), or when it is a few edits
 * away from a known name; each gets one warning naming the closest known name.
 */
import { editDistance, MAX_SUGGESTION_DISTANCE } from './closest.ts';
import type { Env } from './env.ts';

/** Names shorter than this are not matched by spelling alone (`HOME` is not a typo of `HOST`). */
const MIN_FUZZY_LENGTH = 6;

export interface EnvNames {
  /** Every variable the program reads. */
  readonly known: readonly string[];
  /** Prefixes only the program's own variables use; every other variable with one is a lookalike. */
  readonly prefixes: readonly string[];
}

/** How many edits a name of this length may be from a known one and still be taken for it. */
const tolerance = (name: string) => Math.min(MAX_SUGGESTION_DISTANCE, Math.max(1, Math.floor(name.length / 3)));

/** The known name closest to `name` within its tolerance, if any. */
function closest(name: string, known: readonly string[]): string | undefined {
  const limit = tolerance(name);
  let best: { name: string; distance: number } | undefined;
  for (const candidate of known) {
    const distance = editDistance(name, candidate, limit);
    if (distance <= limit && (best === undefined || distance < best.distance)) best = { name: candidate, distance };
  }
  return best?.name;
}

/** One warning per set variable that looks like one of `names` but is none of them, sorted by variable. */
export function envLookalikes(env: Env, names: EnvNames): string[] {
  const known = new Set(names.known);
  const warnings: string[] = [];
  for (const variable of Object.keys(env).sort()) {
    if (known.has(variable) || env[variable] === undefined) continue;
    const prefixed = names.prefixes.some((prefix) => variable.startsWith(prefix));
    const near = closest(variable, names.known);
    if (!prefixed && (near === undefined || variable.length < MIN_FUZZY_LENGTH)) continue;
    warnings.push(`${variable} is not a setting of the gateway and is ignored${near === undefined ? '' : `; did you mean ${near}?`}`);
  }
  return warnings;
}
