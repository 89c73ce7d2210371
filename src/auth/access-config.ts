/**
 * The access settings read from the environment (GATEWAY_AUTH and its
 * companions, TRUSTED_DOCUMENTS_FILE, GRAPHIQL, INTROSPECTION), validated
 * with the rest of the configuration (`config.ts`): a problem is reported,
 * never guessed around.
 */
import type { Env } from '../lib/env.ts';
import { AUTH_MODES, type AuthMode } from './principal.ts';

/** `on`/`off` switches; unset means the default of the auth mode (see `graphiqlAllowed`, `introspectionAllowed`). */
export type Switch = 'on' | 'off';

export interface AccessConfig {
  readonly mode: AuthMode;
  /** GATEWAY_KEYS_FILE (with `keys`). */
  readonly keysFile?: string;
  /** JWT verification (with `jwt`). */
  readonly jwt?: {
    readonly publicKeyFile?: string;
    readonly jwksUrl?: string;
    readonly issuer?: string;
    readonly audience?: string;
  };
  /** TRUSTED_DOCUMENTS_FILE: only these documents run (keys with `any-document` excepted). */
  readonly trustedDocumentsFile?: string;
  /** GRAPHIQL; unset: on. */
  readonly graphiql?: Switch;
  /** INTROSPECTION; unset: on with GATEWAY_AUTH=none, otherwise for keys with the `any-document` scope only. */
  readonly introspection?: Switch;
}

export const OPEN_ACCESS: AccessConfig = { mode: 'none' };

function readSwitch(env: Env, name: string, problems: string[]): Switch | undefined {
  const raw = env[name];
  if (raw === undefined || raw === '') return undefined;
  if (raw === 'on' || raw === 'off') return raw;
  problems.push(`${name} must be "on" or "off", got "${raw}".`);
  return undefined;
}

const set = (env: Env, name: string): string | undefined => (env[name] === undefined || env[name] === '' ? undefined : env[name]);

export function readAccessConfig(env: Env, problems: string[]): AccessConfig {
  const modeRaw = env['GATEWAY_AUTH'] || 'none';
  const mode = (AUTH_MODES as readonly string[]).includes(modeRaw) ? (modeRaw as AuthMode) : 'none';
  if (mode !== modeRaw) problems.push(`GATEWAY_AUTH must be one of ${AUTH_MODES.join(', ')}, got "${modeRaw}".`);
  const keysFile = set(env, 'GATEWAY_KEYS_FILE');
  if (mode === 'keys' && keysFile === undefined) problems.push('GATEWAY_AUTH=keys needs GATEWAY_KEYS_FILE (the keys, as JSON).');
  const publicKeyFile = set(env, 'JWT_PUBLIC_KEY_FILE');
  const jwksUrl = set(env, 'JWT_JWKS_URL');
  if (mode === 'jwt' && (publicKeyFile === undefined) === (jwksUrl === undefined))
    problems.push('GATEWAY_AUTH=jwt needs exactly one of JWT_PUBLIC_KEY_FILE (PEM) and JWT_JWKS_URL.');
  if (jwksUrl !== undefined) {
    try {
      if (!/^https?:$/.test(new URL(jwksUrl).protocol)) throw new Error('protocol');
    } catch {
      problems.push(`JWT_JWKS_URL must be an http:// or https:// URL, got "${jwksUrl}".`);
    }
  }
  const issuer = set(env, 'JWT_ISSUER');
  const audience = set(env, 'JWT_AUDIENCE');
  const trustedDocumentsFile = set(env, 'TRUSTED_DOCUMENTS_FILE');
  const graphiql = readSwitch(env, 'GRAPHIQL', problems);
  const introspection = readSwitch(env, 'INTROSPECTION', problems);
  return {
    mode,
    ...(mode === 'keys' && keysFile !== undefined ? { keysFile } : {}),
    ...(mode === 'jwt'
      ? {
          jwt: {
            ...(publicKeyFile === undefined ? {} : { publicKeyFile }),
            ...(jwksUrl === undefined ? {} : { jwksUrl }),
            ...(issuer === undefined ? {} : { issuer }),
            ...(audience === undefined ? {} : { audience }),
          },
        }
      : {}),
    ...(trustedDocumentsFile === undefined ? {} : { trustedDocumentsFile }),
    ...(graphiql === undefined ? {} : { graphiql }),
    ...(introspection === undefined ? {} : { introspection }),
  };
}
