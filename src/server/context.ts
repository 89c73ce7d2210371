/**
 * Reads the client's Coincall credential from where each transport carries it:
 * graphql-ws `connectionParams { apiKey, apiSecret }`, or the HTTP headers
 * `X-Coincall-Api-Key` / `X-Coincall-Api-Secret` (SSE and plain HTTP).
 */
import type { Credential } from '../coincall/signing.ts';

export const API_KEY_HEADER = 'x-coincall-api-key';
export const API_SECRET_HEADER = 'x-coincall-api-secret';
/** Longer values are not credentials; refuse them before they reach a signer or a log. */
export const MAX_CREDENTIAL_LENGTH = 256;

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
  if (apiKey.length > MAX_CREDENTIAL_LENGTH || apiSecret.length > MAX_CREDENTIAL_LENGTH || /[\s&]/.test(apiKey))
    return { credential: undefined, problem: `The Coincall API key or secret is malformed (${where}).` };
  return { credential: { apiKey, apiSecret }, problem: undefined };
}

export function credentialFromConnectionParams(params: unknown): CredentialResult {
  if (typeof params !== 'object' || params === null) return NONE;
  const p = params as Record<string, unknown>;
  return credentialFrom(p['apiKey'], p['apiSecret'], 'connectionParams { apiKey, apiSecret }');
}

export function credentialFromHeaders(headers: Headers): CredentialResult {
  return credentialFrom(headers.get(API_KEY_HEADER) ?? undefined, headers.get(API_SECRET_HEADER) ?? undefined, 'headers X-Coincall-Api-Key and X-Coincall-Api-Secret');
}
