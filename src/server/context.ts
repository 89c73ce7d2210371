/**
 * Reads the client's Coincall credential from where each transport carries it:
 * graphql-ws `connectionParams { apiKey, apiSecret }`, or the HTTP headers
 * `X-Coincall-Api-Key` / `X-Coincall-Api-Secret` (SSE and plain HTTP).
 */
import { API_KEY_PATTERN, type Credential } from '../coincall/signing.ts';

/** Header names of a client's Coincall key on SSE and HTTP (api-contract.md); `Headers.get` ignores case. */
export const API_KEY_HEADER = 'X-Coincall-Api-Key';
export const API_SECRET_HEADER = 'X-Coincall-Api-Secret';
/** Longer values are not credentials; refuse them before they reach a signer or a log. */
export const MAX_CREDENTIAL_LENGTH = 256;
/** A secret is only an HMAC key, but control characters and spaces are a paste error, not a secret. */
const API_SECRET_PATTERN = /^[\x21-\x7e]+$/;

export interface CredentialResult {
  readonly credential: Credential | undefined;
  readonly problem: string | undefined;
}

const NONE: CredentialResult = { credential: undefined, problem: undefined };

export function credentialFrom(apiKey: unknown, apiSecret: unknown, where: string): CredentialResult {
  const absent = (v: unknown) => v === undefined || v === null || v === '';
  if (absent(apiKey) && absent(apiSecret)) return NONE;
  if (typeof apiKey !== 'string' || typeof apiSecret !== 'string' || absent(apiKey) || absent(apiSecret))
    return { credential: undefined, problem: `Present both the Coincall API key and secret as strings (${where}).` };
  if (apiKey.length > MAX_CREDENTIAL_LENGTH || apiSecret.length > MAX_CREDENTIAL_LENGTH)
    return {
      credential: undefined,
      problem: `The Coincall API key or secret is longer than ${MAX_CREDENTIAL_LENGTH} characters (${where}).`,
    };
  if (!API_KEY_PATTERN.test(apiKey))
    return {
      credential: undefined,
      problem: `The Coincall API key is malformed: it may hold only letters, digits and + / = . _ - (${where}).`,
    };
  if (!API_SECRET_PATTERN.test(apiSecret))
    return {
      credential: undefined,
      problem: `The Coincall API secret is malformed: it may hold only printable characters without spaces (${where}).`,
    };
  return { credential: { apiKey, apiSecret }, problem: undefined };
}

export function credentialFromConnectionParams(params: unknown): CredentialResult {
  if (typeof params !== 'object' || params === null) return NONE;
  const p = params as Record<string, unknown>;
  return credentialFrom(p['apiKey'], p['apiSecret'], 'connectionParams { apiKey, apiSecret }');
}

export function credentialFromHeaders(headers: Pick<Headers, 'get'>): CredentialResult {
  return credentialFrom(
    headers.get(API_KEY_HEADER) ?? undefined,
    headers.get(API_SECRET_HEADER) ?? undefined,
    `headers ${API_KEY_HEADER} and ${API_SECRET_HEADER}`,
  );
}
