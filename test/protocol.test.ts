/**
 * The wire protocol (`src/coincall/protocol.ts`): the request texts the
 * gateway sends and how every frame the exchange sends is parsed (never
 * throwing on garbage).
 */
import { describe, expect, it } from 'vitest';
import { HEARTBEAT_REQUEST, parseFrame, subscribeRequest, unsubscribeRequest } from '../src/coincall/protocol.ts';

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
      parseFrame(
        '{"action":"SUBSCRIBE","dataType":"bsInfo","payload":{"symbol":"BTCUSD-1JAN20-1-C"},"result":"failed","msg":"symbol not found"}',
      ),
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
