/**
 * GATEWAY_AUTH=keys: the keys file, read at start, again on `reload()` (SIGHUP,
 * through `main.ts`) and when the file changes (polled: it survives an editor's
 * or a deploy's rename-into-place). A file that cannot be read or parsed
 * keeps the keys in force and says so (an error log line, and `fileValid`
 * for the metric); at start it stops the gateway instead. Listeners hear of
 * every successful change, to end the connections of removed keys and of
 * keys whose scopes or limits were narrowed (`current` gives a key's entry
 * as it stands now).
 */
import { readFileSync, unwatchFile, watchFile } from 'node:fs';
import type { Logger } from '../lib/logger.ts';
import { KeyRing, parseKeysFile, type KeysFileResult } from './keys-file.ts';
import { missingCredential, bearerOf, UNKNOWN_MESSAGE, type Authenticator, type AuthOutcome, type Principal } from './principal.ts';

/** How often the file's modification time is checked (a removed key is revoked within this plus the sweep). */
export const KEYS_FILE_POLL_MS = 250;

export interface KeyAuthenticator extends Authenticator {
  /** Whether the last read of the file succeeded (false: the keys before it stay in force). */
  readonly fileValid: boolean;
  /** Keys in force. */
  readonly keyCount: number;
}

function readKeysFile(path: string): KeysFileResult {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    return { ok: false, problem: `cannot read it (${error instanceof Error && 'code' in error ? String(error.code) : 'error'})` };
  }
  return parseKeysFile(text);
}

/** Throws (start-up fails) when the file cannot be read at start. */
export function createKeyAuthenticator(path: string, logger: Logger, pollMs = KEYS_FILE_POLL_MS): KeyAuthenticator {
  const first = readKeysFile(path);
  if (!first.ok) throw new Error(`GATEWAY_KEYS_FILE ${path}: ${first.problem}`);
  let ring = new KeyRing(first.keys);
  let fileValid = true;
  const listeners: Array<() => void> = [];
  // Which hash admitted each principal: a key rotated under the same id is revoked too.
  const admittedBy = new WeakMap<Principal, string>();
  logger.info({ keysFile: path, keys: ring.size }, 'access: keys file loaded');

  const reload = () => {
    const result = readKeysFile(path);
    if (!result.ok) {
      fileValid = false;
      logger.error(
        { keysFile: path, problem: result.problem, keysInForce: ring.size },
        'access: the keys file is broken; the keys read before stay in force',
      );
      return;
    }
    ring = new KeyRing(result.keys);
    fileValid = true;
    logger.info({ keysFile: path, keys: ring.size }, 'access: keys file reloaded');
    for (const listener of listeners) listener();
  };
  const watcher = () => reload();
  watchFile(path, { interval: pollMs, persistent: false }, watcher);

  return {
    mode: 'keys',
    get fileValid() {
      return fileValid;
    },
    get keyCount() {
      return ring.size;
    },
    authenticate(authorization): Promise<AuthOutcome> {
      const missing = missingCredential(authorization);
      if (missing !== undefined) return Promise.resolve(missing);
      const entry = ring.lookup(bearerOf(authorization) ?? '');
      if (entry === undefined) return Promise.resolve({ ok: false, reason: 'unknown', message: UNKNOWN_MESSAGE });
      const { sha256, ...principal } = entry;
      admittedBy.set(principal, sha256);
      return Promise.resolve({ ok: true, principal });
    },
    current(principal: Principal) {
      const listed = ring.byId(principal.id);
      if (listed === undefined || listed.sha256 !== admittedBy.get(principal)) return undefined;
      const { sha256, ...entry } = listed;
      admittedBy.set(entry, sha256);
      return entry;
    },
    onChange(listener) {
      listeners.push(listener);
    },
    reload,
    close() {
      unwatchFile(path, watcher);
    },
  };
}
