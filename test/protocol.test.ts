/**
 * The pure wire layer: connection signing, request text, frame parsing,
 * lossless JSON, exact decimals and instrument symbols.
 *
 * Signature vectors were computed outside this code base with openssl, e.g.
 *   printf '%s' 'GET/users/self/verify?apiKey=KEY&ts=1700000000000' | openssl dgst -sha256 -hmac SECRET
 */
import { describe, expect, it } from 'vitest';
import {
  HEARTBEAT_REQUEST,
  parseFrame,
  subscribeRequest,
  unsubscribeRequest,
} from '../src/coincall/protocol.ts';
import {
  hmacHex,
  legacyPrehash,
  prehash,
  readConnectQuery,
  sign,
  signedUrl,
  verifyConnectQuery,
} from '../src/coincall/signing.ts';
import { expiryCode, isUnderlyingSymbol, optionSymbol, parseOptionSymbol } from '../src/coincall/symbols.ts';
import {
  MAX_TIMESTAMP_MS,
  MIN_TIMESTAMP_MS,
  numberToPlainString,
  PLAIN_DECIMAL,
  toDecimal,
  toNumber,
  toSafeInteger,
  toTimestamp,
} from '../src/lib/decimal.ts';
import { parseJsonLossless } from '../src/lib/json.ts';

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
      '?' + Object.entries(params).map(([k, v]) => `${k}=${v}`).join('&');
    const good = { code: '10', uuid: base64ish.apiKey, ts: String(TS), sign: base64ishCurrentSign, apiKey: base64ish.apiKey };

    it('accepts the URL signedUrl builds, with the current prehash', () => {
      const search = new URL(signedUrl('ws://127.0.0.1:1/options', base64ish, TS).replace(/^ws/, 'http')).search;
      expect(verifyConnectQuery(search, secretOf, TS)).toEqual({ ok: true, apiKey: base64ish.apiKey });
      expect(verifyConnectQuery(query(good), secretOf, TS + 4_999)).toEqual({ ok: true, apiKey: base64ish.apiKey });
    });

    it('accepts a signature over the older uuid prehash', () => {
      expect(verifyConnectQuery(query({ ...good, sign: base64ishLegacySign }), secretOf, TS)).toEqual({ ok: true, apiKey: base64ish.apiKey });
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
      expect(verifyConnectQuery(query({ ...good, uuid: 'OTHER', apiKey: 'OTHER' }), secretOf, TS)).toEqual({ ok: false, reason: 'unknown apiKey' });
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

describe('request builders', () => {
  it('subscribe with a payload', () => {
    expect(subscribeRequest('orderBook', { symbol: 'BTCUSD-27MAY23-26000-C' })).toBe(
      '{"action":"subscribe","dataType":"orderBook","payload":{"symbol":"BTCUSD-27MAY23-26000-C"}}',
    );
    expect(subscribeRequest('tOption', { symbol: 'BTCUSD', end: 1685174400000 })).toBe(
      '{"action":"subscribe","dataType":"tOption","payload":{"symbol":"BTCUSD","end":1685174400000}}',
    );
    expect(subscribeRequest('position', { symbol: ['BTCUSD', 'ETHUSD'] })).toBe(
      '{"action":"subscribe","dataType":"position","payload":{"symbol":["BTCUSD","ETHUSD"]}}',
    );
  });

  it('subscribe to a private channel carries no payload key at all', () => {
    expect(subscribeRequest('accountBalance')).toBe('{"action":"subscribe","dataType":"accountBalance"}');
  });

  it('unsubscribe is spelled unSubscribe', () => {
    expect(unsubscribeRequest('kline', { symbol: 'BTCUSD', period: 'h1' })).toBe(
      '{"action":"unSubscribe","dataType":"kline","payload":{"symbol":"BTCUSD","period":"h1"}}',
    );
    expect(unsubscribeRequest('order')).toBe('{"action":"unSubscribe","dataType":"order"}');
  });

  it('heartbeat', () => {
    expect(HEARTBEAT_REQUEST).toBe('{"action":"heartbeat"}');
  });
});

describe('parseFrame', () => {
  it('data frames: dt, d and the optional frame-level ts', () => {
    expect(parseFrame('{"dt":8,"c":20,"d":{"s":"BTCUSD-27MAY23-26000-C","et":2,"ts":1685092951072}}')).toEqual({
      kind: 'data',
      dt: 8,
      d: { s: 'BTCUSD-27MAY23-26000-C', et: 2, ts: 1685092951072 },
      ts: undefined,
    });
    expect(parseFrame('{"dt":33,"c":20,"ts":1685096426200,"d":[]}')).toEqual({ kind: 'data', dt: 33, d: [], ts: 1685096426200 });
  });

  it('data frames keep an order id beyond 2^53 exactly', () => {
    const frame = parseFrame('{"dt":11,"c":20,"d":{"oid":1663004711982333953,"s":"BTCUSD"}}');
    expect(frame).toMatchObject({ kind: 'data', dt: 11, d: { oid: '1663004711982333953' } });
  });

  it('heartbeat answers: rc 1 is success, anything else a failure', () => {
    expect(parseFrame('{"c":11,"rc":1}')).toEqual({ kind: 'heartbeat', ok: true });
    expect(parseFrame('{"c":11,"rc":0}')).toEqual({ kind: 'heartbeat', ok: false });
    expect(parseFrame('{"c":11}')).toEqual({ kind: 'heartbeat', ok: false });
  });

  it('a heartbeat answer with c and rc as numeric strings is still a heartbeat answer', () => {
    expect(parseFrame('{"c":"11","rc":"1"}')).toEqual({ kind: 'heartbeat', ok: true });
    expect(parseFrame('{"c":" 11 ","rc":1}')).toEqual({ kind: 'heartbeat', ok: true });
    expect(parseFrame('{"c":"11","rc":"0"}')).toEqual({ kind: 'heartbeat', ok: false });
    expect(parseFrame('{"c":"11","rc":"1.5"}')).toEqual({ kind: 'heartbeat', ok: false });
  });

  it('a connect reply is recognized, not taken for garbage', () => {
    expect(parseFrame('{"c":10,"rc":1}')).toEqual({ kind: 'connect', ok: true });
    expect(parseFrame('{"c":"10","rc":"1"}')).toEqual({ kind: 'connect', ok: true });
    expect(parseFrame('{"c":10,"rc":0}')).toEqual({ kind: 'connect', ok: false });
  });

  it('dt as a numeric string is the same dt', () => {
    expect(parseFrame('{"dt":"5","c":20,"d":{"s":"BTCUSD"}}')).toEqual({ kind: 'data', dt: 5, d: { s: 'BTCUSD' }, ts: undefined });
    expect(parseFrame('{"dt":" 32 ","c":"20","d":[]}')).toEqual({ kind: 'data', dt: 32, d: [], ts: undefined });
  });

  it('a frame-level ts as a string is read as a number; empty or null is no ts', () => {
    expect(parseFrame('{"dt":33,"c":20,"ts":"1685096426200","d":[]}')).toEqual({ kind: 'data', dt: 33, d: [], ts: 1685096426200 });
    expect(parseFrame('{"dt":33,"c":20,"ts":" 1685096426200 ","d":[]}')).toMatchObject({ kind: 'data', ts: 1685096426200 });
    expect(parseFrame('{"dt":33,"c":20,"ts":"","d":[]}')).toMatchObject({ kind: 'data', ts: undefined });
    expect(parseFrame('{"dt":33,"c":20,"ts":null,"d":[]}')).toMatchObject({ kind: 'data', ts: undefined });
  });

  it.each([
    ['beyond any date', '1e20'],
    ['beyond a double', '"1e400"'],
    ['in seconds, not milliseconds', '1685096426'],
    ['a fraction', '1685096426200.5'],
    ['not a number', '"soon"'],
  ])('refuses a data frame whose frame-level ts is %s', (_why, ts) => {
    expect(parseFrame(`{"dt":33,"c":20,"ts":${ts},"d":[]}`)).toEqual({ kind: 'invalid', reason: 'ts is not a timestamp' });
  });

  it('subscription acknowledgements, successful and failed', () => {
    expect(parseFrame('{"action":"SUBSCRIBE","dataType":"orderBook","payload":{"symbol":"BTCUSD"},"result":"success"}')).toEqual({
      kind: 'ack',
      action: 'SUBSCRIBE',
      dataType: 'orderBook',
      payload: { symbol: 'BTCUSD' },
      ok: true,
      message: undefined,
    });
    expect(
      parseFrame('{"action":"SUBSCRIBE","dataType":"bsInfo","payload":{"symbol":"BTCUSD-1JAN20-1-C"},"result":"failed","msg":"symbol not found"}'),
    ).toEqual({
      kind: 'ack',
      action: 'SUBSCRIBE',
      dataType: 'bsInfo',
      payload: { symbol: 'BTCUSD-1JAN20-1-C' },
      ok: false,
      message: 'symbol not found',
    });
  });

  it('notices such as the rate-limit message', () => {
    expect(parseFrame('{"code":429,"msg":"too many request"}')).toEqual({ kind: 'notice', message: 'too many request' });
    expect(parseFrame('{"message":"server maintenance"}')).toEqual({ kind: 'notice', message: 'server maintenance' });
  });

  it('never throws on garbage: invalid frames', () => {
    expect(parseFrame('not json')).toMatchObject({ kind: 'invalid' });
    expect(parseFrame('{"dt":5,')).toMatchObject({ kind: 'invalid' });
    expect(parseFrame('')).toMatchObject({ kind: 'invalid' });
    expect(parseFrame('[{"dt":5}]')).toMatchObject({ kind: 'invalid' });
    expect(parseFrame('"text"')).toMatchObject({ kind: 'invalid' });
    expect(parseFrame('null')).toMatchObject({ kind: 'invalid' });
    expect(parseFrame('{"dt":"five","c":20,"d":{}}')).toEqual({ kind: 'invalid', reason: 'dt is not an integer' });
    expect(parseFrame('{"dt":"5.5","c":20,"d":{}}')).toEqual({ kind: 'invalid', reason: 'dt is not an integer' });
    expect(parseFrame('{"dt":5.5,"c":20,"d":{}}')).toEqual({ kind: 'invalid', reason: 'dt is not an integer' });
    expect(parseFrame('{"dt":null,"c":20,"d":{}}')).toEqual({ kind: 'invalid', reason: 'dt is not an integer' });
    expect(parseFrame('{"hello":"world"}')).toMatchObject({ kind: 'invalid' });
  });
});

describe('parseJsonLossless', () => {
  it('keeps every digit of integers beyond 2^53, as strings', () => {
    expect(parseJsonLossless('{"oid":1663004711982333952}')).toEqual({ oid: '1663004711982333952' });
    expect(parseJsonLossless('{"oid":1663004711982333953}')).toEqual({ oid: '1663004711982333953' });
    expect(parseJsonLossless('1663004711982333952')).toBe('1663004711982333952');
    expect(parseJsonLossless('{"n":9007199254740992}')).toEqual({ n: '9007199254740992' });
    expect(parseJsonLossless('{"n":9007199254740993}')).toEqual({ n: '9007199254740993' });
  });

  it('negative ids and ids inside arrays and nested objects', () => {
    expect(parseJsonLossless('{"a":[1663004711982333952,-9223372036854775808,7],"b":{"c":[{"oid":-1663004711982333953}]}}')).toEqual({
      a: ['1663004711982333952', '-9223372036854775808', 7],
      b: { c: [{ oid: '-1663004711982333953' }] },
    });
  });

  it('is not confused by digits or escaped quotes inside strings', () => {
    expect(parseJsonLossless('{"s":"1663004711982333952","n":1663004711982333952}')).toEqual({
      s: '1663004711982333952',
      n: '1663004711982333952',
    });
    expect(parseJsonLossless('{"s":"a\\"1663004711982333952\\"b","n":1}')).toEqual({ s: 'a"1663004711982333952"b', n: 1 });
    expect(parseJsonLossless('{"s":"ends in a backslash \\\\","n":1663004711982333952}')).toEqual({
      s: 'ends in a backslash \\',
      n: '1663004711982333952',
    });
    expect(parseJsonLossless('{"k\\"1663004711982333952":1663004711982333952}')).toEqual({ 'k"1663004711982333952': '1663004711982333952' });
  });

  it('leaves safe integers and ordinary numbers as numbers', () => {
    expect(parseJsonLossless('{"ts":1685092534839,"max":9007199254740991,"neg":-9007199254740991,"pr":26443.9,"z":0}')).toEqual({
      ts: 1685092534839,
      max: 9007199254740991,
      neg: -9007199254740991,
      pr: 26443.9,
      z: 0,
    });
    expect(parseJsonLossless('{"oid":1663004711982333952,"ts":1685092534839}')).toEqual({ oid: '1663004711982333952', ts: 1685092534839 });
  });

  it('leaves decimals with many digits untouched (they are not integers)', () => {
    const parsed = parseJsonLossless('{"ab":99999999902.0327645,"x":0.12345678901234567890,"e":1.5e300,"oid":1663004711982333952}') as Record<string, unknown>;
    expect(parsed['ab']).toBe(99999999902.0327645);
    expect(parsed['x']).toBe(0.1234567890123456789);
    expect(parsed['e']).toBe(1.5e300);
    expect(parsed['oid']).toBe('1663004711982333952');
  });

  it('still throws on text that is not JSON', () => {
    expect(() => parseJsonLossless('{"oid":1663004711982333952')).toThrow();
  });
});

describe('exact decimals', () => {
  it('keeps strings digit for digit, trimmed', () => {
    expect(toDecimal('486.8')).toBe('486.8');
    expect(toDecimal('26443.90 ')).toBe('26443.90');
    expect(toDecimal(' 0.686\t')).toBe('0.686');
    expect(toDecimal('-0.0008')).toBe('-0.0008');
    expect(toDecimal('100000000000.50153541')).toBe('100000000000.50153541');
    expect(toDecimal('0')).toBe('0');
  });

  it('renders JSON numbers in their shortest round-trip form, never with an exponent', () => {
    expect(toDecimal(26443.9)).toBe('26443.9');
    expect(toDecimal(0.1 + 0.2)).toBe('0.30000000000000004');
    expect(toDecimal(1e-7)).toBe('0.0000001');
    expect(toDecimal(1e21)).toBe('1000000000000000000000');
    expect(toDecimal(-3178263)).toBe('-3178263');
  });

  it('null, undefined and empty strings are absent values', () => {
    expect(toDecimal(null)).toBeNull();
    expect(toDecimal(undefined)).toBeNull();
    expect(toDecimal('')).toBeNull();
    expect(toDecimal('   ')).toBeNull();
  });

  it('comes out in plain form: no bare leading or trailing point', () => {
    expect(toDecimal('5.')).toBe('5');
    expect(toDecimal('.5')).toBe('0.5');
    expect(toDecimal('-.5')).toBe('-0.5');
    expect(toDecimal('1.5e3')).toBe('1500');
    for (const wire of ['486.8', '5.', '.5', '-.25 ', '1e-7', '2.5E+3', 26443.9, 1e21, -3178263]) {
      expect(toDecimal(wire), String(wire)).toMatch(PLAIN_DECIMAL);
    }
  });

  it('a decimal must be finite: huge exponents and overlong digit runs are not decimals', () => {
    expect(toDecimal('1e400')).toBeUndefined();
    expect(toDecimal('-1e400')).toBeUndefined();
    expect(toDecimal('9'.repeat(400))).toBeUndefined();
    expect(toDecimal(Number.NEGATIVE_INFINITY)).toBeUndefined();
  });

  it('anything else is not a decimal (undefined)', () => {
    expect(toDecimal('abc')).toBeUndefined();
    expect(toDecimal('1,5')).toBeUndefined();
    expect(toDecimal('12abc')).toBeUndefined();
    expect(toDecimal(Number.NaN)).toBeUndefined();
    expect(toDecimal(Number.POSITIVE_INFINITY)).toBeUndefined();
    expect(toDecimal(true)).toBeUndefined();
    expect(toDecimal({})).toBeUndefined();
  });

  it('numberToPlainString expands exponents', () => {
    expect(numberToPlainString(1e-7)).toBe('0.0000001');
    expect(numberToPlainString(1.5e-10)).toBe('0.00000000015');
    expect(numberToPlainString(-2.5e-8)).toBe('-0.000000025');
    expect(numberToPlainString(1e21)).toBe('1000000000000000000000');
    expect(numberToPlainString(1.2345e22)).toBe('12345000000000000000000');
    expect(numberToPlainString(123.45)).toBe('123.45');
  });

  it('toNumber reads numbers and numeric strings', () => {
    expect(toNumber('0.5 ')).toBe(0.5);
    expect(toNumber(-0.0021)).toBe(-0.0021);
    expect(toNumber('1.5e3')).toBe(1500);
    expect(toNumber(null)).toBeNull();
    expect(toNumber('')).toBeNull();
    expect(toNumber('abc')).toBeUndefined();
  });

  it('toNumber refuses what is not finite, sent as a string or as a number', () => {
    expect(toNumber('1e400')).toBeUndefined();
    expect(toNumber('-1e400')).toBeUndefined();
    expect(toNumber(Number.POSITIVE_INFINITY)).toBeUndefined();
    expect(toNumber(Number.NaN)).toBeUndefined();
    expect(toNumber('Infinity')).toBeUndefined();
    expect(toNumber('NaN')).toBeUndefined();
  });
});

describe('integers and timestamps', () => {
  it('toSafeInteger takes integers up to 2^53 - 1, as numbers or strings', () => {
    expect(toSafeInteger(2)).toBe(2);
    expect(toSafeInteger(' 2 ')).toBe(2);
    expect(toSafeInteger(-7)).toBe(-7);
    expect(toSafeInteger(Number.MAX_SAFE_INTEGER)).toBe(Number.MAX_SAFE_INTEGER);
    expect(toSafeInteger(null)).toBeNull();
    expect(toSafeInteger('')).toBeNull();
  });

  it('toSafeInteger refuses fractions, unsafe integers and what is not finite', () => {
    expect(toSafeInteger(2.5)).toBeUndefined();
    expect(toSafeInteger(1e20)).toBeUndefined();
    expect(toSafeInteger('12345678901234567890')).toBeUndefined();
    expect(toSafeInteger('1e400')).toBeUndefined();
    expect(toSafeInteger('two')).toBeUndefined();
  });

  it('toTimestamp takes integer milliseconds from 2000 to 2200, as numbers or strings', () => {
    expect(toTimestamp(1685092534839)).toBe(1685092534839);
    expect(toTimestamp('1685092534839')).toBe(1685092534839);
    expect(toTimestamp(MIN_TIMESTAMP_MS)).toBe(Date.UTC(2000, 0, 1));
    expect(toTimestamp(MAX_TIMESTAMP_MS)).toBe(Date.UTC(2200, 0, 1));
    expect(toTimestamp(null)).toBeNull();
    expect(toTimestamp('')).toBeNull();
  });

  it.each([
    ['1e20', 1e20],
    ['"1e400"', '1e400'],
    ['seconds instead of milliseconds', 1685092534],
    ['microseconds instead of milliseconds', 1685092534839000],
    ['one millisecond before 2000', MIN_TIMESTAMP_MS - 1],
    ['one millisecond after 2200', MAX_TIMESTAMP_MS + 1],
    ['a fraction', 1685092534839.5],
    ['negative', -1685092534839],
    ['not a number', 'yesterday'],
  ])('toTimestamp refuses %s', (_why, wire) => {
    expect(toTimestamp(wire)).toBeUndefined();
  });
});

describe('symbols', () => {
  it('parses option symbols; expiry is 08:00 UTC of the expiry day', () => {
    expect(parseOptionSymbol('BTCUSD-27MAY23-24000-P')).toEqual({
      symbol: 'BTCUSD-27MAY23-24000-P',
      underlying: 'BTCUSD',
      expiry: 1685174400000,
      strike: '24000',
      type: 'PUT',
    });
    expect(parseOptionSymbol('BTCUSD-4JUL23-27000-C')).toEqual({
      symbol: 'BTCUSD-4JUL23-27000-C',
      underlying: 'BTCUSD',
      expiry: 1688457600000,
      strike: '27000',
      type: 'CALL',
    });
    expect(parseOptionSymbol('DOGEUSD-13DEC24-0.178-P')).toEqual({
      symbol: 'DOGEUSD-13DEC24-0.178-P',
      underlying: 'DOGEUSD',
      expiry: 1734076800000,
      strike: '0.178',
      type: 'PUT',
    });
    expect(parseOptionSymbol('BTCUSD-29FEB24-60000-C')?.expiry).toBe(1709193600000);
  });

  it.each([
    ['leading zero on the day', 'BTCUSD-04JUL23-27000-C'],
    ['unknown month', 'BTCUSD-27MAI23-24000-P'],
    ['lower-case month', 'BTCUSD-27may23-24000-P'],
    ['impossible date', 'BTCUSD-31FEB24-100-C'],
    ['29 February of a non-leap year', 'BTCUSD-29FEB23-100-C'],
    ['day zero', 'BTCUSD-0MAY23-24000-P'],
    ['no type', 'BTCUSD-27MAY23-24000'],
    ['unknown type', 'BTCUSD-27MAY23-24000-X'],
    ['empty strike', 'BTCUSD-27MAY23--P'],
    ['an underlying', 'BTCUSD'],
    ['lower case', 'btcusd-27MAY23-24000-P'],
  ])('rejects %s: %s', (_why, symbol) => {
    expect(parseOptionSymbol(symbol)).toBeUndefined();
  });

  it('expiryCode writes the day without a leading zero', () => {
    expect(expiryCode(1685174400000)).toBe('27MAY23');
    expect(expiryCode(1688457600000)).toBe('4JUL23');
    expect(expiryCode(1734076800000)).toBe('13DEC24');
  });

  it.each(['BTCUSD-27MAY23-24000-P', 'BTCUSD-4JUL23-27000-C', 'DOGEUSD-13DEC24-0.178-P', 'ETHUSD-30JUN23-1800-C'])(
    'round-trips %s through parse and optionSymbol',
    (symbol) => {
      const parsed = parseOptionSymbol(symbol);
      expect(parsed).toBeDefined();
      if (parsed === undefined) return;
      expect(parseOptionSymbol(`${parsed.underlying}-${expiryCode(parsed.expiry)}-${parsed.strike}-${parsed.type === 'CALL' ? 'C' : 'P'}`)).toEqual(parsed);
      expect(optionSymbol(parsed.underlying, parsed.expiry, parsed.strike, parsed.type)).toBe(symbol);
    },
  );

  it('recognises underlying/futures symbols', () => {
    for (const symbol of ['BTCUSD', 'ETHUSD', 'SOLUSD', 'XRPUSD', 'TRXUSD', 'TONUSD', 'ARBUSD', 'DOGEUSD']) {
      expect(isUnderlyingSymbol(symbol), symbol).toBe(true);
    }
    for (const symbol of ['btcusd', 'BTC', 'BTCUSDT', 'BTCUSD-27MAY23-24000-P', ' BTCUSD', '']) {
      expect(isUnderlyingSymbol(symbol), symbol).toBe(false);
    }
  });
});
