/**
 * `npm run keys -- add <id> [--scopes public,private] [--max-connections N] [--max-subscriptions N]`
 * prints a new random key ONCE and writes its sha256 to GATEWAY_KEYS_FILE;
 * `npm run keys -- remove <id>` drops a key. The file is replaced atomically
 * (written aside, then renamed); a running gateway picks the change up
 * within a second (or at once on SIGHUP). Logic: `src/auth/keys-command.ts`.
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { addKey, removeKey, type KeysCommandResult } from '../src/auth/keys-command.ts';

const USAGE =
  'usage: npm run keys -- add <id> [--scopes public,private,any-document] [--max-connections N] [--max-subscriptions N]\n' +
  '       npm run keys -- remove <id>\n(GATEWAY_KEYS_FILE names the file)';

function fail(message: string): never {
  console.error(message);
  process.exit(1);
}

const file = process.env['GATEWAY_KEYS_FILE'];
if (file === undefined || file === '') fail(`GATEWAY_KEYS_FILE is not set.\n${USAGE}`);
const [command, id, ...rest] = process.argv.slice(2);
if (id === undefined) fail(USAGE);
const options = new Map<string, string>();
for (let i = 0; i < rest.length; i += 2) options.set(rest[i] ?? '', rest[i + 1] ?? '');
const integer = (name: string): number | undefined => {
  const raw = options.get(name);
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1) fail(`${name} must be a positive integer`);
  return value;
};
const text = existsSync(file) ? readFileSync(file, 'utf8') : undefined;
let result: KeysCommandResult;
if (command === 'add') {
  const maxConnections = integer('--max-connections');
  const maxSubscriptions = integer('--max-subscriptions');
  result = addKey(text, id, {
    ...(options.has('--scopes') ? { scopes: (options.get('--scopes') ?? '').split(',') } : {}),
    ...(maxConnections === undefined ? {} : { maxConnections }),
    ...(maxSubscriptions === undefined ? {} : { maxSubscriptions }),
  });
} else if (command === 'remove') result = removeKey(text, id);
else fail(USAGE);
if (!result.ok) fail(result.problem);
writeFileSync(`${file}.tmp`, result.text, { mode: 0o600 });
renameSync(`${file}.tmp`, file);
if (result.key !== undefined) {
  console.log(result.key);
  console.error(
    `Key ${id} added to ${file}. The line above is the key: give it to the partner now; it is not stored and cannot be shown again.`,
  );
} else console.error(`Key ${id} removed from ${file}; its connections end within seconds.`);
