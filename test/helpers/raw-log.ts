/**
 * The gateway's log as the operator reads it: pino's raw JSON lines (at
 * `debug`), captured in memory, and a scan for a key written twice in one
 * object (which `JSON.parse` would hide by keeping the last).
 */
import { pino } from 'pino';
import type { Logger } from '../../src/lib/logger.ts';

export interface RawLog {
  readonly logger: Logger;
  /** Every line written so far, as written. */
  readonly lines: string[];
}

/** A pino logger at `level` whose lines land in `lines`, unparsed. */
export function rawPinoLog(level: 'debug' | 'trace' = 'debug'): RawLog {
  const lines: string[] = [];
  const logger = pino({ level }, { write: (line: string) => void lines.push(line.trimEnd()) });
  return { logger, lines };
}

/**
 * The keys that appear more than once in one object of `json` (at any depth),
 * as `path.key`. Reads the text itself: a JSON string, a nesting, a key.
 */
export function repeatedKeys(json: string): string[] {
  const repeated: string[] = [];
  /** Per open object: its path and the keys seen; `undefined` for an array. */
  const stack: Array<{ path: string; keys: Set<string>; pendingKey: string | undefined } | undefined> = [];
  let i = 0;
  let lastString: string | undefined;
  while (i < json.length) {
    const c = json[i];
    if (c === '"') {
      let j = i + 1;
      while (j < json.length && json[j] !== '"') j += json[j] === '\\' ? 2 : 1;
      lastString = JSON.parse(json.slice(i, j + 1)) as string;
      i = j + 1;
      continue;
    }
    const top = stack.at(-1);
    if (c === ':' && top !== undefined && lastString !== undefined) {
      if (top.keys.has(lastString)) repeated.push(`${top.path}${lastString}`);
      top.keys.add(lastString);
      top.pendingKey = lastString;
      lastString = undefined;
    } else if (c === '{')
      stack.push({ path: top === undefined ? '' : `${top.path}${top.pendingKey ?? ''}.`, keys: new Set(), pendingKey: undefined });
    else if (c === '[') stack.push(undefined);
    else if (c === '}' || c === ']') stack.pop();
    i++;
  }
  return repeated;
}
