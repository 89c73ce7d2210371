/**
 * CORS_ORIGINS, tested with real preflights as a browser sends them (OPTIONS
 * with Origin, Access-Control-Request-Method and -Headers naming
 * `Authorization`, as Apollo's HttpLink with a gateway key sends it, and the
 * Coincall credential headers): `*` lets every origin in without credentials; a list
 * lets exactly its origins in, with credentials, and gives any other origin
 * no CORS headers at all.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { readConfig } from '../src/config.ts';
import { disposeAll, startTestGateway, type TestGateway } from './helpers/gateway.ts';

const APP = 'https://app.example.com';
const OTHER = 'https://evil.example.net';

async function preflight(gateway: TestGateway, origin: string): Promise<Response> {
  return fetch(gateway.url, {
    method: 'OPTIONS',
    headers: {
      origin,
      'access-control-request-method': 'POST',
      'access-control-request-headers': 'authorization, content-type, x-coincall-api-key, x-coincall-api-secret',
    },
  });
}

/** The request a browser sends after the preflight: a query with the credential headers. */
async function crossOriginQuery(gateway: TestGateway, origin: string): Promise<Response> {
  return fetch(gateway.url, {
    method: 'POST',
    headers: {
      origin,
      'content-type': 'application/json',
      authorization: 'Bearer k',
      'x-coincall-api-key': 'k',
      'x-coincall-api-secret': 's',
    },
    body: JSON.stringify({ query: '{ __typename }' }),
  });
}

const allowedHeaders = (response: Response) => (response.headers.get('access-control-allow-headers') ?? '').toLowerCase().split(/,\s*/);

afterAll(disposeAll);

describe('CORS_ORIGINS=* (the default)', () => {
  it('answers a preflight from any origin, allowing the credential headers, without credentials', async () => {
    const gateway = await startTestGateway();
    for (const origin of [APP, OTHER]) {
      const response = await preflight(gateway, origin);
      expect(response.status).toBe(204);
      expect(response.headers.get('access-control-allow-origin')).toBe(origin);
      expect(response.headers.get('access-control-allow-credentials')).toBeNull();
      expect(response.headers.get('access-control-allow-methods')).toContain('POST');
      expect(allowedHeaders(response)).toEqual(
        expect.arrayContaining(['authorization', 'content-type', 'x-coincall-api-key', 'x-coincall-api-secret']),
      );
      const answer = await crossOriginQuery(gateway, origin);
      expect(answer.status).toBe(200);
      expect(answer.headers.get('access-control-allow-origin')).toBe(origin);
      expect(answer.headers.get('access-control-allow-credentials')).toBeNull();
    }
  });
});

describe('CORS_ORIGINS as a list', () => {
  it('allows its origins with credentials and gives any other origin no CORS headers', async () => {
    const gateway = await startTestGateway({ config: { corsOrigins: [APP, 'http://localhost:3000'] } });
    const allowed = await preflight(gateway, APP);
    expect(allowed.status).toBe(204);
    expect(allowed.headers.get('access-control-allow-origin')).toBe(APP);
    expect(allowed.headers.get('access-control-allow-credentials')).toBe('true');
    expect(allowedHeaders(allowed)).toEqual(
      expect.arrayContaining(['authorization', 'content-type', 'x-coincall-api-key', 'x-coincall-api-secret']),
    );
    expect((await crossOriginQuery(gateway, APP)).headers.get('access-control-allow-origin')).toBe(APP);
    expect((await preflight(gateway, 'http://localhost:3000')).headers.get('access-control-allow-origin')).toBe('http://localhost:3000');

    const refused = await preflight(gateway, OTHER);
    expect(refused.headers.get('access-control-allow-origin')).toBeNull();
    expect(refused.headers.get('access-control-allow-credentials')).toBeNull();
    expect(refused.headers.get('access-control-allow-headers')).toBeNull();
    expect((await crossOriginQuery(gateway, OTHER)).headers.get('access-control-allow-origin')).toBeNull();
  });
});

describe('reading CORS_ORIGINS', () => {
  const read = (value: string | undefined) => readConfig(value === undefined ? {} : { CORS_ORIGINS: value });

  it('defaults to *, and reads a comma list of origins', () => {
    expect(read(undefined)).toMatchObject({ ok: true, config: { corsOrigins: '*' } });
    expect(read('*')).toMatchObject({ ok: true, config: { corsOrigins: '*' } });
    expect(read(' https://a.example.com , http://localhost:3000/ ')).toMatchObject({
      ok: true,
      config: { corsOrigins: ['https://a.example.com', 'http://localhost:3000'] },
    });
  });

  it('refuses what is not an origin', () => {
    for (const bad of ['a.example.com', 'https://a.example.com/path', 'ftp://a.example.com', '*,https://a.example.com']) {
      const result = read(bad);
      expect(result.ok, bad).toBe(false);
      if (!result.ok) expect(result.problems.join(' ')).toContain('CORS_ORIGINS');
    }
  });
});
