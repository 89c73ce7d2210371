/**
 * Helpers for the access tests: a keys file in a temporary directory (its
 * keys' hashes only, as `npm run keys` writes it), JWTs signed with a key
 * the test made, HTTP POSTs with an `Authorization` header, and graphql-ws
 * sockets whose upgrade carries one.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportSPKI, generateKeyPair, SignJWT, type CryptoKey } from 'jose';
import WebSocket from 'ws';
import { sha256Hex } from '../../src/auth/keys-file.ts';
import type { Scope } from '../../src/auth/principal.ts';
import { onDispose, startTestGateway, type TestGateway } from './gateway.ts';
import { RawClient, type Message } from './graphql-ws-raw.ts';

export interface TestKey {
  readonly id: string;
  readonly key: string;
  readonly scopes?: readonly Scope[];
  readonly maxConnections?: number;
  readonly maxSubscriptions?: number;
}

/** The keys file's JSON for these keys. */
export function keysFileText(keys: readonly TestKey[]): string {
  return JSON.stringify({
    keys: keys.map(({ key, ...entry }) => ({ ...entry, sha256: sha256Hex(key) })),
  });
}

/** Writes a keys file in a fresh temporary directory (removed at dispose); returns its path. */
export function writeKeysFile(keys: readonly TestKey[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'gateway-keys-'));
  onDispose(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'keys.json');
  writeFileSync(path, keysFileText(keys));
  return path;
}

/** A gateway (on its simulator) in keys mode with these keys, and its keys file (rewrite it to change them). */
export async function keysGateway(keys: readonly TestKey[]): Promise<{ gateway: TestGateway; keysFile: string }> {
  const keysFile = writeKeysFile(keys);
  const gateway = await startTestGateway({ config: { access: { mode: 'keys', keysFile } } });
  return { gateway, keysFile };
}

/** Subscriptions a key at maxSubscriptions 2 runs (over two sockets), and the one beyond. */
export const PRICE_SUBSCRIPTION = 'subscription { futuresIndexPrice(symbol: "BTCUSD") { symbol } }';
export const KLINE_SUBSCRIPTION = 'subscription { futuresKline(symbol: "BTCUSD", period: M1) { close } }';

/** Two sockets of a key with `maxSubscriptions: 2`, one running subscription each (past its first `next`), then a third asked on the second: its answer. */
export async function subscriptionBeyondTwo(
  wsUrl: string,
  params: Record<string, unknown>,
): Promise<{ one: RawClient; two: RawClient; refused: Message }> {
  const one = await RawClient.ready(wsUrl, params);
  const two = await RawClient.ready(wsUrl, params);
  one.subscribe('1', PRICE_SUBSCRIPTION);
  two.subscribe('2', KLINE_SUBSCRIPTION);
  await one.waitFor((m) => m.id === '1' && m.type === 'next');
  await two.waitFor((m) => m.id === '2' && m.type === 'next');
  two.subscribe('3', PRICE_SUBSCRIPTION);
  const refused = await two.waitFor((m) => m.id === '3' && m.type === 'error');
  return { one, two, refused };
}

/** A temporary file with this text (removed at dispose). */
export function writeTempFile(name: string, text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'gateway-access-'));
  onDispose(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

export interface Answer {
  readonly status: number;
  readonly body: {
    readonly data?: Record<string, unknown> | null;
    readonly errors?: ReadonlyArray<{ message: string; path?: unknown[]; extensions?: Record<string, unknown> }>;
  };
}

/** POSTs a GraphQL request (JSON) with optional headers. */
export async function post(url: string, body: Record<string, unknown>, headers: Record<string, string> = {}): Promise<Answer> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Answer['body'] };
}

export const bearer = (key: string): Record<string, string> => ({ authorization: `Bearer ${key}` });

/** A `ws` WebSocket class whose upgrade request carries these headers (for graphql-ws's `webSocketImpl`). */
export function webSocketWithHeaders(headers: Record<string, string>): unknown {
  return class extends WebSocket {
    constructor(address: string | URL, protocols?: string | string[]) {
      super(address, protocols, { headers });
    }
  };
}

/** The issuer and audience the JWT tests configure. */
export const TEST_ISSUER = 'https://issuer.test';
export const TEST_AUDIENCE = 'coincall-gateway';

export interface TestClaims {
  readonly sub?: string;
  readonly scope?: string;
  /** Seconds since the epoch; default ten minutes from now. */
  readonly exp?: number;
  readonly aud?: string;
  readonly kid?: string;
}

/** A JWT signed (RS256) with `privateKey`: subject `partner-jwt`, scope `public`, TEST_ISSUER and TEST_AUDIENCE unless told. */
export async function signToken(privateKey: CryptoKey, claims: TestClaims = {}): Promise<string> {
  const jwt = new SignJWT({ scope: claims.scope ?? 'public' })
    .setProtectedHeader({ alg: 'RS256', ...(claims.kid === undefined ? {} : { kid: claims.kid }) })
    .setSubject(claims.sub ?? 'partner-jwt')
    .setIssuer(TEST_ISSUER)
    .setAudience(claims.aud ?? TEST_AUDIENCE)
    .setIssuedAt();
  return jwt.setExpirationTime(claims.exp ?? Math.floor(Date.now() / 1000) + 600).sign(privateKey);
}

/** A gateway with GATEWAY_AUTH=jwt against a PEM public key the test made, and the private key that signs its tokens. */
export async function jwtGateway(): Promise<{ readonly gateway: TestGateway; readonly privateKey: CryptoKey }> {
  const { publicKey, privateKey } = await generateKeyPair('RS256');
  const publicKeyFile = writeTempFile('jwt.pem', await exportSPKI(publicKey));
  const gateway = await startTestGateway({
    config: { access: { mode: 'jwt', jwt: { publicKeyFile, issuer: TEST_ISSUER, audience: TEST_AUDIENCE } } },
  });
  return { gateway, privateKey };
}
