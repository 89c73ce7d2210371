/**
 * Coincall connection signing.
 *
 * Every connection, public data included, opens with
 * `?code=10&uuid=<key>&ts=<ms>&sign=<SIGN>&apiKey=<key>`, where SIGN is the
 * uppercase hex HMAC-SHA256 (keyed with the secret) of a prehash string. Keys go
 * into the URL raw: the exchange answers 403 to a percent-encoded key.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/**
 * What an API key may hold: base64-like characters. The key goes into the
 * signed URL raw (not percent-encoded), so nothing else can be in it.
 */
export const API_KEY_PATTERN = /^[A-Za-z0-9+/=._-]+$/;

export interface Credential {
  readonly apiKey: string;
  readonly apiSecret: string;
}

/** A stable identity of a credential (key and secret) that reveals neither: a SHA-256 hex digest. */
export function credentialId(credential: Credential): string {
  return createHash('sha256').update(`${credential.apiKey}\u0000${credential.apiSecret}`).digest('hex');
}

/** The exchange refuses a `ts` further than this from its own time. */
export const SIGNATURE_MAX_SKEW_MS = 5_000;

/** Current prehash form (since mid 2025). */
export function prehash(apiKey: string, ts: number): string {
  return `GET/users/self/verify?apiKey=${apiKey}&ts=${ts}`;
}

/** Older prehash form, still accepted by the exchange. */
export function legacyPrehash(apiKey: string, ts: number): string {
  return `GET/users/self/verify?uuid=${apiKey}&ts=${ts}`;
}

export function hmacHex(secret: string, text: string): string {
  return createHmac('sha256', secret).update(text).digest('hex').toUpperCase();
}

export function sign(credential: Credential, ts: number): string {
  return hmacHex(credential.apiSecret, prehash(credential.apiKey, ts));
}

/** The connect URL for `baseUrl`, signed at `ts`. The key is appended raw, never percent-encoded. */
export function signedUrl(baseUrl: string, credential: Credential, ts: number): string {
  const separator = baseUrl.includes('?') ? '&' : '?';
  const key = credential.apiKey;
  return `${baseUrl}${separator}code=10&uuid=${key}&ts=${ts}&sign=${sign(credential, ts)}&apiKey=${key}`;
}

/** The parameters of a connect URL's query string, read raw (`+` stays `+`). */
export function readConnectQuery(search: string): Map<string, string> {
  const params = new Map<string, string>();
  for (const part of search.replace(/^\?/, '').split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const name = eq < 0 ? part : part.slice(0, eq);
    if (!params.has(name)) params.set(name, eq < 0 ? '' : part.slice(eq + 1));
  }
  return params;
}

export type VerifyResult = { readonly ok: true; readonly apiKey: string } | { readonly ok: false; readonly reason: string };

/**
 * Checks a connect query as the exchange does: `code=10`, a known key, a fresh
 * `ts`, and a signature over either prehash form.
 */
export function verifyConnectQuery(search: string, secretOf: (apiKey: string) => string | undefined, now: number): VerifyResult {
  const q = readConnectQuery(search);
  if (q.get('code') !== '10') return { ok: false, reason: 'code must be 10' };
  const apiKey = q.get('apiKey') ?? q.get('uuid');
  if (apiKey === undefined || apiKey === '') return { ok: false, reason: 'missing apiKey' };
  const secret = secretOf(apiKey);
  if (secret === undefined) return { ok: false, reason: 'unknown apiKey' };
  const ts = Number(q.get('ts'));
  if (!Number.isFinite(ts) || Math.abs(now - ts) > SIGNATURE_MAX_SKEW_MS) return { ok: false, reason: 'stale ts' };
  const given = q.get('sign') ?? '';
  const matches = [prehash(apiKey, ts), legacyPrehash(apiKey, ts)].some((text) => safeEqual(hmacHex(secret, text), given));
  return matches ? { ok: true, apiKey } : { ok: false, reason: 'bad signature' };
}

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
