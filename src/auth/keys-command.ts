/**
 * What `npm run keys` does to a keys file, pure: `add` makes a new random key
 * (returned once, to print; only its sha256 is written), `remove` drops an
 * id. The file's other entries are kept as they are; a broken file is not
 * touched.
 */
import { randomBytes } from 'node:crypto';
import { KEY_ID_PATTERN, parseKeysFile, sha256Hex } from './keys-file.ts';
import { isScope, type Scope } from './principal.ts';

/** Random bytes of a new key (256 bits), base64url. */
export const NEW_KEY_BYTES = 32;

export interface AddOptions {
  readonly scopes?: readonly string[];
  readonly maxConnections?: number;
  readonly maxSubscriptions?: number;
}

export type KeysCommandResult =
  { readonly ok: true; readonly text: string; readonly key?: string } | { readonly ok: false; readonly problem: string };

/** The file's entries as JSON objects (an absent file: none). */
function entriesOf(text: string | undefined): { ok: true; entries: Array<Record<string, unknown>> } | { ok: false; problem: string } {
  if (text === undefined) return { ok: true, entries: [] };
  const parsed = parseKeysFile(text);
  if (!parsed.ok) return { ok: false, problem: `the keys file is broken (${parsed.problem}); fix it first` };
  const json = JSON.parse(text) as { keys: Array<Record<string, unknown>> };
  return { ok: true, entries: json.keys };
}

const render = (entries: ReadonlyArray<Record<string, unknown>>) => `${JSON.stringify({ keys: entries }, null, 2)}\n`;

export function addKey(
  text: string | undefined,
  id: string,
  options: AddOptions = {},
  random = () => randomBytes(NEW_KEY_BYTES),
): KeysCommandResult {
  if (!KEY_ID_PATTERN.test(id)) return { ok: false, problem: `the id must match ${String(KEY_ID_PATTERN)}` };
  const scopes = options.scopes ?? ['public'];
  if (!scopes.every(isScope)) return { ok: false, problem: 'scopes are public, private and any-document' };
  const current = entriesOf(text);
  if (!current.ok) return current;
  if (current.entries.some((entry) => entry['id'] === id))
    return { ok: false, problem: `the id ${id} exists; remove it first to rotate its key` };
  const key = `cgw_${random().toString('base64url')}`;
  const entry = {
    id,
    sha256: sha256Hex(key),
    scopes: scopes as readonly Scope[],
    ...(options.maxConnections === undefined ? {} : { maxConnections: options.maxConnections }),
    ...(options.maxSubscriptions === undefined ? {} : { maxSubscriptions: options.maxSubscriptions }),
  };
  const next = render([...current.entries, entry]);
  const check = parseKeysFile(next);
  if (!check.ok) return { ok: false, problem: check.problem };
  return { ok: true, text: next, key };
}

export function removeKey(text: string | undefined, id: string): KeysCommandResult {
  const current = entriesOf(text);
  if (!current.ok) return current;
  const kept = current.entries.filter((entry) => entry['id'] !== id);
  if (kept.length === current.entries.length) return { ok: false, problem: `no key has the id ${id}` };
  return { ok: true, text: render(kept) };
}
