/**
 * Errors go through one door: code outside `src/lib/errors.ts` builds a
 * `GatewayError` only with a named constructor, every `extensions.code` the
 * gateway writes is one of `ERROR_CODES` (the `ErrorCode` union), every
 * exported constructor is used, and README's "Errors" table lists exactly
 * those codes.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { GraphQLError } from 'graphql';
import { describe, expect, it } from 'vitest';
import * as errors from '../src/lib/errors.ts';
import { ERROR_CODES, GatewayError } from '../src/lib/errors.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const ERRORS_FILE = 'src/lib/errors.ts';

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path) : path.endsWith('.ts') ? [path] : [];
  });
}

/** Every source file but errors.ts itself, with its text. */
const sources = files(join(root, 'src'))
  .map((path) => ({ file: relative(root, path), text: readFileSync(path, 'utf8') }))
  .filter(({ file }) => file !== ERRORS_FILE);

const codes: ReadonlySet<string> = new Set(ERROR_CODES);

describe('errors', () => {
  it('no GatewayError is built with `new` outside lib/errors.ts: only the named constructors', () => {
    const direct = sources.filter(({ text }) => text.includes('new GatewayError(')).map(({ file }) => file);
    expect(direct).toEqual([]);
  });

  it('every extensions.code written in src/ is one of ERROR_CODES', () => {
    const written = sources.flatMap(({ file, text }) =>
      [...text.matchAll(/\bcode: '([A-Z]+(?:_[A-Z]+)+)'/g)].map((m) => `${file}: ${m[1]}`),
    );
    expect(written.filter((entry) => !codes.has(entry.split(': ')[1] ?? ''))).toEqual([]);
  });

  it('the masked code is spelled only in lib/errors.ts', () => {
    expect(sources.filter(({ text }) => text.includes("'INTERNAL_SERVER_ERROR'")).map(({ file }) => file)).toEqual([]);
  });

  it('every function lib/errors.ts exports is called in src/', () => {
    const exported = Object.entries(errors)
      .filter(([name, value]) => typeof value === 'function' && name !== 'GatewayError')
      .map(([name]) => name);
    expect(exported.length).toBeGreaterThan(5);
    const unused = exported.filter((name) => !sources.some(({ text }) => new RegExp(`\\b${name}\\(`).test(text)));
    expect(unused).toEqual([]);
  });

  it('each named constructor carries its code (and an interruption its window)', () => {
    const built: ReadonlyArray<readonly [GatewayError, string]> = [
      [errors.badInput('m'), 'BAD_USER_INPUT'],
      [errors.unauthenticated('m'), 'UNAUTHENTICATED'],
      [errors.forbidden('m'), 'FORBIDDEN'],
      [errors.upstreamRejected('m'), 'UPSTREAM_REJECTED'],
      [errors.subscriberTooSlow('m'), 'SUBSCRIBER_TOO_SLOW'],
      [errors.limitExceeded('m'), 'LIMIT_EXCEEDED'],
      [errors.upstreamTimeout('m'), 'UPSTREAM_TIMEOUT'],
      [errors.streamInterrupted('m', { since: 'a', until: 'b', reason: 'UPSTREAM' }), 'STREAM_INTERRUPTED'],
    ];
    for (const [error, code] of built) {
      expect(error).toBeInstanceOf(GatewayError);
      expect(error.code).toBe(code);
    }
    const interrupted = errors.asGraphQLError(errors.streamInterrupted('m', { since: 'a', until: 'b', reason: 'UPSTREAM' }));
    expect(interrupted).toBeInstanceOf(GraphQLError);
    expect(interrupted.extensions).toEqual({ since: 'a', until: 'b', reason: 'UPSTREAM', code: 'STREAM_INTERRUPTED' });
    expect(errors.badInputError('m').extensions).toEqual({ code: 'BAD_USER_INPUT' });
    // The code always wins over extensions handed in.
    expect(errors.badInputError('m', { extensions: { code: 'X', hint: 1 } }).extensions).toEqual({ code: 'BAD_USER_INPUT', hint: 1 });
  });

  it("README's Errors table lists exactly ERROR_CODES", () => {
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('### Errors'), readme.indexOf('\n### ', readme.indexOf('### Errors') + 1));
    const listed = [...section.matchAll(/^\| `([A-Z_]+)` \|/gm)].map((m) => m[1]);
    expect([...listed].sort()).toEqual([...ERROR_CODES].sort());
  });
});
