/**
 * The keys file (GATEWAY_KEYS_FILE): its JSON read and validated, and the
 * lookup of a presented key by its sha256 (the file holds hashes only). Every
 * entry is compared, timing-safe, whatever matches: how long a lookup takes
 * says nothing about which hashes are listed.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { isScope, type Principal, type Scope } from './principal.ts';

/** A key id: what logs, metrics (a label) and errors show; short and plain. */
export const KEY_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const SHA256_HEX = /^[0-9a-f]{64}$/;
/** The default scopes of an entry that lists none. */
export const DEFAULT_SCOPES: readonly Scope[] = ['public'];

export interface KeyEntry extends Principal {
  /** The hex sha256 of the key. */
  readonly sha256: string;
}

export type KeysFileResult = { readonly ok: true; readonly keys: readonly KeyEntry[] } | { readonly ok: false; readonly problem: string };

/** The hex sha256 of a key (as the keys file stores it). */
export const sha256Hex = (key: string): string => createHash('sha256').update(key, 'utf8').digest('hex');

const isRecord = (value: unknown): value is Readonly<Record<string, unknown>> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

function positiveInteger(value: unknown, what: string): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) throw new Error(`${what} must be a positive integer`);
  return value;
}

function entryOf(raw: unknown, index: number): KeyEntry {
  const where = `keys[${index}]`;
  if (!isRecord(raw)) throw new Error(`${where} must be an object`);
  const { id, sha256, scopes, maxConnections, maxSubscriptions } = raw;
  if (typeof id !== 'string' || !KEY_ID_PATTERN.test(id)) throw new Error(`${where}.id must match ${String(KEY_ID_PATTERN)}`);
  if (typeof sha256 !== 'string' || !SHA256_HEX.test(sha256.toLowerCase()))
    throw new Error(`${where}.sha256 (${id}) must be 64 hex digits`);
  let scopeList: readonly Scope[] = DEFAULT_SCOPES;
  if (scopes !== undefined) {
    if (!Array.isArray(scopes) || !scopes.every(isScope))
      throw new Error(`${where}.scopes (${id}) must list "public", "private" or "any-document"`);
    scopeList = scopes;
  }
  const connections = positiveInteger(maxConnections, `${where}.maxConnections (${id})`);
  const subscriptions = positiveInteger(maxSubscriptions, `${where}.maxSubscriptions (${id})`);
  return {
    id,
    sha256: sha256.toLowerCase(),
    scopes: new Set(scopeList),
    ...(connections === undefined ? {} : { maxConnections: connections }),
    ...(subscriptions === undefined ? {} : { maxSubscriptions: subscriptions }),
  };
}

/** Parses the keys file's text: `{"keys": [{id, sha256, scopes?, maxConnections?, maxSubscriptions?}]}`. */
export function parseKeysFile(text: string): KeysFileResult {
  try {
    const json: unknown = JSON.parse(text);
    if (!isRecord(json) || !Array.isArray(json['keys'])) throw new Error('the file must be an object with a "keys" array');
    const keys = json['keys'].map(entryOf);
    const ids = new Set<string>();
    const hashes = new Set<string>();
    for (const key of keys) {
      if (ids.has(key.id)) throw new Error(`the id ${key.id} is listed twice`);
      if (hashes.has(key.sha256)) throw new Error(`two entries have the same sha256 (${key.id})`);
      ids.add(key.id);
      hashes.add(key.sha256);
    }
    return { ok: true, keys };
  } catch (error) {
    return { ok: false, problem: error instanceof Error ? error.message : String(error) };
  }
}

/** The keys in force, looked up by a presented key. */
export class KeyRing {
  private readonly entries: ReadonlyArray<{ readonly hash: Buffer; readonly entry: KeyEntry }>;

  constructor(keys: readonly KeyEntry[]) {
    this.entries = keys.map((entry) => ({ hash: Buffer.from(entry.sha256, 'hex'), entry }));
  }

  get size(): number {
    return this.entries.length;
  }

  /** The entry whose hash is the presented key's; every entry is compared. */
  lookup(key: string): KeyEntry | undefined {
    const presented = createHash('sha256').update(key, 'utf8').digest();
    let found: KeyEntry | undefined;
    for (const { hash, entry } of this.entries) if (timingSafeEqual(hash, presented)) found = entry;
    return found;
  }

  /** The entry of a key id (a revocation sweep asks whether an admitted key is still listed). */
  byId(id: string): KeyEntry | undefined {
    return this.entries.find(({ entry }) => entry.id === id)?.entry;
  }

  ids(): readonly string[] {
    return this.entries.map(({ entry }) => entry.id);
  }
}
