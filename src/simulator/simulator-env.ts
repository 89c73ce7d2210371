/**
 * The environment of `npm run simulator`, read and validated in one pass.
 * Every problem is collected so that one message lists them all. Pure: it
 * takes the environment as a record; simulator-main.ts is the file that touches
 * `process`. Problems name variables and entry positions, never a secret.
 */
import { API_KEY_PATTERN } from '../coincall/signing.ts';
import { envValue, MAX_PORT, readHost, readInteger, type Env } from '../lib/env.ts';
import { DEFAULT_WIRE_FORM, type WireFormOption } from './publish.ts';
import { DEFAULT_HOST, DEMO_ACCOUNT, type SimulatorAccount } from './simulator-api.ts';

export const DEFAULT_PORT = 8090;
export const WIRE_FORMS: readonly WireFormOption[] = ['spec', 'live', 'mixed'];
export { DEFAULT_WIRE_FORM };
/**
 * API keys go into the connect URL raw (the exchange refuses them
 * percent-encoded), so they are limited to the base64-like alphabet the
 * exchange issues, which needs no encoding in a query.
 */
const USER_ID = /^\d{1,19}$/;
/** User ids given to extra accounts that do not name one: this, then counting up. */
const FIRST_EXTRA_USER_ID = 1_000_000_001;
const ACCOUNT_SEPARATOR = ',';
const FIELD_SEPARATOR = ':';
const TRUE_WORDS: ReadonlySet<string> = new Set(['1', 'true', 'yes', 'on']);
const FALSE_WORDS: ReadonlySet<string> = new Set(['0', 'false', 'no', 'off']);

export interface SimulatorEnv {
  readonly port: number;
  readonly host: string;
  readonly wireForm: WireFormOption;
  /** The main account (SIMULATOR_API_KEY / SIMULATOR_API_SECRET, else the demo account) first, then SIMULATOR_ACCOUNTS. */
  readonly accounts: readonly SimulatorAccount[];
  readonly strictIdle: boolean;
}

export type SimulatorEnvResult =
  { readonly ok: true; readonly env: SimulatorEnv } | { readonly ok: false; readonly problems: readonly string[] };

function readWireForm(text: string | undefined, problems: string[]): WireFormOption {
  if (text === undefined) return DEFAULT_WIRE_FORM;
  const form = WIRE_FORMS.find((f) => f === text.toLowerCase());
  if (form !== undefined) return form;
  problems.push(`SIMULATOR_WIRE_FORM must be one of ${WIRE_FORMS.join(', ')}, got "${text}".`);
  return DEFAULT_WIRE_FORM;
}

function readBoolean(name: string, text: string | undefined, problems: string[]): boolean {
  if (text === undefined) return false;
  const word = text.toLowerCase();
  if (TRUE_WORDS.has(word)) return true;
  if (!FALSE_WORDS.has(word)) problems.push(`${name} must be true or false (or 1 / 0), got "${text}".`);
  return false;
}

function readMainAccount(env: Env, problems: string[]): SimulatorAccount {
  const apiKey = envValue(env, 'SIMULATOR_API_KEY');
  const apiSecret = envValue(env, 'SIMULATOR_API_SECRET');
  if (apiKey === undefined && apiSecret === undefined) return DEMO_ACCOUNT;
  if (apiKey === undefined || apiSecret === undefined) {
    problems.push('SIMULATOR_API_KEY and SIMULATOR_API_SECRET must be set together (or neither, for the demo account).');
    return DEMO_ACCOUNT;
  }
  if (!API_KEY_PATTERN.test(apiKey))
    problems.push('SIMULATOR_API_KEY may hold only letters, digits and + / = _ . - (it goes into the URL raw).');
  return { apiKey, apiSecret, userId: DEMO_ACCOUNT.userId };
}

/** SIMULATOR_ACCOUNTS: `apiKey:apiSecret[:userId]` entries separated by commas; blank entries are skipped. */
function readExtraAccounts(text: string | undefined, main: SimulatorAccount, problems: string[]): SimulatorAccount[] {
  if (text === undefined) return [];
  const parsed: Array<{ apiKey: string; apiSecret: string; userId: string | undefined }> = [];
  text.split(ACCOUNT_SEPARATOR).forEach((raw, index) => {
    const entry = raw.trim();
    if (entry === '') return;
    const where = `SIMULATOR_ACCOUNTS entry ${index + 1}`;
    const parts = entry.split(FIELD_SEPARATOR).map((p) => p.trim());
    const [apiKey = '', apiSecret = '', userId] = parts;
    if (parts.length < 2 || parts.length > 3 || apiKey === '' || apiSecret === '') {
      problems.push(`${where} must be apiKey:apiSecret or apiKey:apiSecret:userId.`);
      return;
    }
    if (!API_KEY_PATTERN.test(apiKey))
      problems.push(`${where}: the API key may hold only letters, digits and + / = _ . - (it goes into the URL raw).`);
    if (userId !== undefined && !USER_ID.test(userId)) problems.push(`${where}: the user id must be digits, got "${userId}".`);
    parsed.push({ apiKey, apiSecret, userId });
  });
  const keys = new Set([main.apiKey]);
  const userIds = new Set([main.userId, ...parsed.flatMap((p) => (p.userId === undefined ? [] : [p.userId]))]);
  let nextUserId = FIRST_EXTRA_USER_ID;
  const accounts: SimulatorAccount[] = [];
  for (const { apiKey, apiSecret, userId } of parsed) {
    if (keys.has(apiKey)) {
      problems.push(`SIMULATOR_ACCOUNTS: the API key "${apiKey}" appears more than once (SIMULATOR_API_KEY and the demo key count too).`);
      continue;
    }
    keys.add(apiKey);
    let id = userId;
    if (id === undefined) {
      while (userIds.has(String(nextUserId))) nextUserId++;
      id = String(nextUserId);
      userIds.add(id);
    }
    accounts.push({ apiKey, apiSecret, userId: id });
  }
  return accounts;
}

/** Reads the simulator's environment: the configuration, or every problem found. */
export function readSimulatorEnv(env: Env): SimulatorEnvResult {
  const problems: string[] = [];
  const port = readInteger(env, 'SIMULATOR_PORT', DEFAULT_PORT, 0, MAX_PORT, problems);
  const host = readHost(env, 'SIMULATOR_HOST', DEFAULT_HOST, problems);
  const wireForm = readWireForm(envValue(env, 'SIMULATOR_WIRE_FORM'), problems);
  const strictIdle = readBoolean('SIMULATOR_STRICT_IDLE', envValue(env, 'SIMULATOR_STRICT_IDLE'), problems);
  const main = readMainAccount(env, problems);
  const extra = readExtraAccounts(envValue(env, 'SIMULATOR_ACCOUNTS'), main, problems);
  if (problems.length > 0) return { ok: false, problems };
  return { ok: true, env: { port, host, wireForm, accounts: [main, ...extra], strictIdle } };
}
