/**
 * Connection signing (`src/coincall/signing.ts`): the prehash strings, the
 * HMAC-SHA256 signature, the signed URL and the exchange-side check the
 * simulator runs.
 *
 * Signature vectors were computed outside this code base with openssl, e.g.
 *   printf '%s' 'GET/users/self/verify?apiKey=KEY&ts=1700000000000' | openssl dgst -sha256 -hmac SECRET
 */
import { describe, expect, it } from 'vitest';
import { hmacHex, legacyPrehash, prehash, readConnectQuery, sign, signedUrl, verifyConnectQuery } from '../src/coincall/signing.ts';

const TS = 1_700_000_000_000;

describe('signing', () => {
  const plain = { apiKey: 'KEY', apiSecret: 'SECRET' };
  /** A base64-like key and secret: `+ / =` must survive untouched. */
  const base64ish = { apiKey: 'AbC+d/Ef==', apiSecret: 's3cr3t/Secret+Key=' };
  const base64ishCurrentSign = '548287B9CA1132CF397F1BDB328917474D76BBDD40D2DF9725224911C730A785';
  const base64ishLegacySign = '45C6D2ADECFE69A9E20FEC3E183C4FD9D8D3BF58B79B8FCCE16440C86DA941B0';

  it('builds both prehash strings', () => {
    expect(prehash('KEY', TS)).toBe('GET/users/self/verify?apiKey=KEY&ts=1700000000000');
    expect(legacyPrehash('KEY', TS)).toBe('GET/users/self/verify?uuid=KEY&ts=1700000000000');
  });

  it('signs the current prehash as uppercase hex HMAC-SHA256 keyed with the secret', () => {
    expect(hmacHex('SECRET', 'GET/users/self/verify?apiKey=KEY&ts=1700000000000')).toBe(
      '113D130FD76309EAD3747B9AF3D815A28022C79B95473475B8A403A832623263',
    );
    expect(hmacHex('SECRET', 'GET/users/self/verify?uuid=KEY&ts=1700000000000')).toBe(
      '94A58B8CE15F22C0C4B1A5C584C807E15FE82EEBFCCC71432D60E8BD041ECF9E',
    );
    expect(sign(plain, TS)).toBe('113D130FD76309EAD3747B9AF3D815A28022C79B95473475B8A403A832623263');
    expect(sign(base64ish, TS)).toBe(base64ishCurrentSign);
  });

  it('puts a base64-like key into the URL raw, never percent-encoded', () => {
    const url = signedUrl('wss://ws.coincall.com/options', base64ish, TS);
    expect(url).toBe(
      `wss://ws.coincall.com/options?code=10&uuid=AbC+d/Ef==&ts=1700000000000&sign=${base64ishCurrentSign}&apiKey=AbC+d/Ef==`,
    );
    expect(url).not.toContain('%');
  });

  it('appends to a base URL that already has a query', () => {
    expect(signedUrl('ws://127.0.0.1:9000/futures?x=1', plain, TS)).toBe(
      'ws://127.0.0.1:9000/futures?x=1&code=10&uuid=KEY&ts=1700000000000&sign=113D130FD76309EAD3747B9AF3D815A28022C79B95473475B8A403A832623263&apiKey=KEY',
    );
  });

  it('reads a connect query raw: + stays +, = inside a value stays', () => {
    const q = readConnectQuery('?code=10&apiKey=AbC+d/Ef==&ts=1');
    expect(q.get('apiKey')).toBe('AbC+d/Ef==');
    expect(q.get('code')).toBe('10');
  });

  describe('verifyConnectQuery (the exchange side, as the simulator runs it)', () => {
    const secretOf = (key: string) => (key === base64ish.apiKey ? base64ish.apiSecret : undefined);
    const query = (params: Record<string, string>) =>
      '?' +
      Object.entries(params)
        .map(([k, v]) => `${k}=${v}`)
        .join('&');
    const good = { code: '10', uuid: base64ish.apiKey, ts: String(TS), sign: base64ishCurrentSign, apiKey: base64ish.apiKey };

    it('accepts the URL signedUrl builds, with the current prehash', () => {
      const search = new URL(signedUrl('ws://127.0.0.1:1/options', base64ish, TS).replace(/^ws/, 'http')).search;
      expect(verifyConnectQuery(search, secretOf, TS)).toEqual({ ok: true, apiKey: base64ish.apiKey });
      expect(verifyConnectQuery(query(good), secretOf, TS + 4_999)).toEqual({ ok: true, apiKey: base64ish.apiKey });
    });

    it('accepts a signature over the older uuid prehash', () => {
      expect(verifyConnectQuery(query({ ...good, sign: base64ishLegacySign }), secretOf, TS)).toEqual({
        ok: true,
        apiKey: base64ish.apiKey,
      });
    });

    it('rejects a ts more than 5 s away from server time, either way', () => {
      expect(verifyConnectQuery(query(good), secretOf, TS + 5_001)).toMatchObject({ ok: false });
      expect(verifyConnectQuery(query(good), secretOf, TS - 5_001)).toMatchObject({ ok: false });
      expect(verifyConnectQuery(query({ ...good, ts: 'soon' }), secretOf, TS)).toMatchObject({ ok: false });
    });

    it('rejects a wrong signature', () => {
      const flipped = `${base64ishCurrentSign.slice(0, -1)}6`;
      expect(verifyConnectQuery(query({ ...good, sign: flipped }), secretOf, TS)).toEqual({ ok: false, reason: 'bad signature' });
      expect(verifyConnectQuery(query({ ...good, sign: sign(plain, TS) }), secretOf, TS)).toMatchObject({ ok: false });
      const { sign: _omitted, ...unsigned } = good;
      expect(verifyConnectQuery(query(unsigned), secretOf, TS)).toMatchObject({ ok: false });
    });

    it('rejects an unknown key, and a percent-encoded key (the exchange answers 403 to it)', () => {
      expect(verifyConnectQuery(query({ ...good, uuid: 'OTHER', apiKey: 'OTHER' }), secretOf, TS)).toEqual({
        ok: false,
        reason: 'unknown apiKey',
      });
      const encoded = encodeURIComponent(base64ish.apiKey);
      expect(verifyConnectQuery(query({ ...good, uuid: encoded, apiKey: encoded }), secretOf, TS)).toMatchObject({ ok: false });
    });

    it('rejects a query without code=10', () => {
      const { code: _omitted, ...noCode } = good;
      expect(verifyConnectQuery(query(noCode), secretOf, TS)).toEqual({ ok: false, reason: 'code must be 10' });
      expect(verifyConnectQuery(query({ ...good, code: '11' }), secretOf, TS)).toEqual({ ok: false, reason: 'code must be 10' });
    });
  });
});
