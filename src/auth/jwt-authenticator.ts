/**
 * GATEWAY_AUTH=jwt: a bearer token verified with `jose` against a PEM public
 * key (JWT_PUBLIC_KEY_FILE, SPKI) or a JWKS (JWT_JWKS_URL, fetched and cached
 * by jose), with JWT_ISSUER and JWT_AUDIENCE when set, and `exp`. The key id
 * is `sub`; scopes are the space-separated `scope` claim; limits come from
 * `max_connections` / `max_subscriptions` when present. Nothing of the token
 * is logged or echoed.
 */
import { readFileSync } from 'node:fs';
import { createRemoteJWKSet, errors, importSPKI, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import { KEY_ID_PATTERN } from './keys-file.ts';
import {
  bearerOf,
  isScope,
  missingCredential,
  UNKNOWN_MESSAGE,
  type Authenticator,
  type AuthOutcome,
  type Principal,
  type Scope,
} from './principal.ts';

export interface JwtSettings {
  readonly publicKeyFile?: string;
  readonly jwksUrl?: string;
  readonly issuer?: string;
  readonly audience?: string;
}

/** Asymmetric algorithms only: a shared secret has no place in a partner's hands. */
const ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'];

export const EXPIRED_MESSAGE = 'The token presented has expired.';

const positive = (value: unknown): number | undefined =>
  typeof value === 'number' && Number.isInteger(value) && value > 0 ? value : undefined;

/** The principal a verified token names; undefined when its claims do not make one. */
function principalOf(payload: JWTPayload): Principal | undefined {
  const { sub } = payload;
  if (typeof sub !== 'string' || !KEY_ID_PATTERN.test(sub)) return undefined;
  const claim = payload['scope'];
  const scopes: Scope[] = typeof claim === 'string' ? claim.split(' ').filter(isScope) : [];
  const maxConnections = positive(payload['max_connections']);
  const maxSubscriptions = positive(payload['max_subscriptions']);
  return {
    id: sub,
    scopes: new Set(scopes),
    ...(maxConnections === undefined ? {} : { maxConnections }),
    ...(maxSubscriptions === undefined ? {} : { maxSubscriptions }),
    ...(typeof payload.exp === 'number' ? { expiresAt: payload.exp * 1000 } : {}),
  };
}

/** Reads the PEM at start (a missing or malformed one stops start-up). */
export async function createJwtAuthenticator(settings: JwtSettings): Promise<Authenticator> {
  let key: JWTVerifyGetKey;
  if (settings.publicKeyFile !== undefined) {
    const pem = readFileSync(settings.publicKeyFile, 'utf8');
    if (!pem.includes('-----BEGIN PUBLIC KEY-----'))
      throw new Error(`JWT_PUBLIC_KEY_FILE ${settings.publicKeyFile}: not a PEM public key (SPKI)`);
    const keys = new Map<string, Promise<CryptoKey>>();
    // The PEM names no algorithm: import it for the token's (one import per algorithm).
    key = async (header) => {
      const algorithm = header.alg ?? 'RS256';
      let imported = keys.get(algorithm);
      if (imported === undefined) keys.set(algorithm, (imported = importSPKI(pem, algorithm)));
      return imported;
    };
  } else if (settings.jwksUrl !== undefined) key = createRemoteJWKSet(new URL(settings.jwksUrl));
  else throw new Error('GATEWAY_AUTH=jwt needs JWT_PUBLIC_KEY_FILE or JWT_JWKS_URL');
  const verifyKey = key;

  return {
    mode: 'jwt',
    async authenticate(authorization): Promise<AuthOutcome> {
      const missing = missingCredential(authorization);
      if (missing !== undefined) return missing;
      const token = bearerOf(authorization) ?? '';
      try {
        const { payload } = await jwtVerify(token, verifyKey, {
          algorithms: ALGORITHMS,
          ...(settings.issuer === undefined ? {} : { issuer: settings.issuer }),
          ...(settings.audience === undefined ? {} : { audience: settings.audience }),
        });
        const principal = principalOf(payload);
        if (principal === undefined) return { ok: false, reason: 'unknown', message: UNKNOWN_MESSAGE };
        return { ok: true, principal };
      } catch (error) {
        if (error instanceof errors.JWTExpired) return { ok: false, reason: 'expired', message: EXPIRED_MESSAGE };
        return { ok: false, reason: 'unknown', message: UNKNOWN_MESSAGE };
      }
    },
    current: (principal) => (principal.expiresAt === undefined || principal.expiresAt > Date.now() ? principal : undefined),
    onChange: () => undefined,
    reload: () => undefined,
    close: () => undefined,
  };
}
