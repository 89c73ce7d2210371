/**
 * Values GraphQL could not serialize never get past the decoder. Timestamps
 * are integer milliseconds from 2000 to 2200, floats finite, ints safe
 * integers, decimals finite and in plain form. A present but invalid value
 * fails its record (required field or not) and the gateway drops the frame:
 * counted, logged once per cause, never sent to a subscriber as an error and
 * never kept as a state channel's latest value; the next good frame arrives.
 */
import type { Client, FormattedExecutionResult } from 'graphql-ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeRecord, DecodeError, defineShape, f } from '../src/channels/fields.ts';
import { MAX_TIMESTAMP_MS, MIN_TIMESTAMP_MS } from '../src/lib/decimal.ts';
import { disposeAll, postGraphQL, sleep, startTestGateway, waitFor, wsClient, type TestGateway } from './helpers/gateway.ts';

const Probe = defineShape('Probe', 'A record with one field of each numeric kind, required and optional.', {
  at: f.timestamp(['at'], 'Required timestamp.', { required: true }),
  seenAt: f.timestamp(['seen'], 'Optional timestamp.'),
  price: f.decimal(['pr'], 'Required decimal.', { required: true }),
  size: f.decimal(['sz'], 'Optional decimal.'),
  rate: f.float(['cr'], 'Optional float.'),
  count: f.int(['n'], 'Optional int.'),
});

/** One result of a subscription, as graphql-ws delivers it. */
type Result = FormattedExecutionResult<Record<string, unknown>, unknown>;

const CTX = { frameTs: undefined, receivedAt: 1_700_000_000_000 };
const GOOD = { at: 1685092534839, pr: '26443.9' } as const;
const decode = (raw: Record<string, unknown>) => decodeRecord(Probe, raw, CTX);

describe('decoding numbers in range', () => {
  it('takes numbers and numeric strings alike', () => {
    expect(decode({ at: '1685092534839', seen: 1685092534000, pr: 26443.9, sz: ' 0.5 ', cr: '-0.0008', n: '2' })).toEqual({
      at: 1685092534839,
      seenAt: 1685092534000,
      price: '26443.9',
      size: '0.5',
      rate: -0.0008,
      count: 2,
    });
  });

  it('decodes absent optional values (missing, null, empty) to null', () => {
    expect(decode({ ...GOOD, seen: null, sz: '', cr: null })).toMatchObject({ seenAt: null, size: null, rate: null, count: null });
  });

  it('accepts the first and last millisecond of the range, and renders them as DateTime', () => {
    for (const at of [MIN_TIMESTAMP_MS, MAX_TIMESTAMP_MS]) {
      const record = decode({ ...GOOD, at });
      expect(new Date(record.at).toISOString()).toMatch(/^2[012]00-01-01T00:00:00.000Z$/);
    }
  });

  it('writes decimals in the plain form the Decimal scalar promises', () => {
    expect(decode({ ...GOOD, pr: '5.', sz: '.5' })).toMatchObject({ price: '5', size: '0.5' });
    expect(decode({ ...GOOD, pr: '2.5e3', sz: 1e-7 })).toMatchObject({ price: '2500', size: '0.0000001' });
  });
});

describe('a required field out of range fails the record', () => {
  it.each([
    ['timestamp 1e20', { at: 1e20 }, 'Probe.at: not a valid timestamp'],
    ['timestamp "1e400"', { at: '1e400' }, 'Probe.at: not a valid timestamp'],
    ['timestamp in seconds', { at: 1685092534 }, 'Probe.at: not a valid timestamp'],
    ['timestamp in microseconds', { at: 1685092534839000 }, 'Probe.at: not a valid timestamp'],
    ['timestamp with a fraction', { at: 1685092534839.5 }, 'Probe.at: not a valid timestamp'],
    ['timestamp before 2000', { at: MIN_TIMESTAMP_MS - 1 }, 'Probe.at: not a valid timestamp'],
    ['timestamp after 2200', { at: MAX_TIMESTAMP_MS + 1 }, 'Probe.at: not a valid timestamp'],
    ['decimal "1e400"', { pr: '1e400' }, 'Probe.price: not a valid decimal'],
    ['decimal 1e400 (Infinity once parsed)', { pr: Number.POSITIVE_INFINITY }, 'Probe.price: not a valid decimal'],
    ['decimal of 400 digits', { pr: '9'.repeat(400) }, 'Probe.price: not a valid decimal'],
  ])('%s', (_why, bad, message) => {
    expect(() => decode({ ...GOOD, ...bad })).toThrow(new DecodeError(message));
  });
});

describe('an optional field present but out of range fails the record too (absent is null, invalid is not)', () => {
  it.each([
    ['timestamp 1e20', { seen: 1e20 }, 'Probe.seenAt: not a valid timestamp'],
    ['timestamp "1e400"', { seen: '1e400' }, 'Probe.seenAt: not a valid timestamp'],
    ['decimal "-1e400"', { sz: '-1e400' }, 'Probe.size: not a valid decimal'],
    ['float "1e400"', { cr: '1e400' }, 'Probe.rate: not a valid float'],
    ['float -Infinity', { cr: Number.NEGATIVE_INFINITY }, 'Probe.rate: not a valid float'],
    ['int 1e20', { n: 1e20 }, 'Probe.count: not a valid int'],
    ['int beyond 2^53 as digits', { n: '12345678901234567890' }, 'Probe.count: not a valid int'],
    ['int with a fraction', { n: 2.5 }, 'Probe.count: not a valid int'],
  ])('%s', (_why, bad, message) => {
    expect(() => decode({ ...GOOD, ...bad })).toThrow(new DecodeError(message));
  });
});

describe('through the gateway: an out-of-range frame is dropped, the stream goes on', () => {
  const SUBSCRIPTION = 'subscription { futuresIndexPrice(symbol: "BTCUSD") { symbol price timestamp } }';
  const priceFrame = (price: string, ts: number | string) => `{"dt":30,"c":20,"d":{"s":"BTCUSD","pr":"${price}","ts":${ts}}}`;
  const TS_1 = 1685096400000;
  const TS_2 = 1685096401000;
  const TS_3 = 1685096402000;
  const event = (price: string, ts: number) => ({
    data: { futuresIndexPrice: { symbol: 'BTCUSD', price, timestamp: new Date(ts).toISOString() } },
  });

  let gateway: TestGateway;
  beforeAll(async () => {
    gateway = await startTestGateway();
    gateway.simulator?.faults.pauseTopics(true);
  });
  afterAll(disposeAll);

  const undecodable = async (): Promise<number> => {
    const { body } = await postGraphQL(gateway.url, { query: '{ status { droppedFrames { undecodable } } }' });
    return (body as { data: { status: { droppedFrames: { undecodable: number } } } }).data.status.droppedFrames.undecodable;
  };

  /** The next result of a subscription, with a generous ceiling so a missing one fails instead of hanging. */
  async function next(iterator: AsyncIterator<Result>): Promise<Result> {
    const result = await Promise.race([iterator.next(), sleep(8_000).then(() => ({ done: true, value: undefined }) as const)]);
    if (result.done === true) throw new Error('no result');
    return result.value;
  }

  const subscribe = (client: Client) => client.iterate({ query: SUBSCRIPTION })[Symbol.asyncIterator]();

  it('drops and counts the bad frame, logs its cause once, and keeps the last good state for late joiners', async () => {
    const sim = gateway.simulator;
    if (sim === undefined) throw new Error('no simulator');
    const first = subscribe(wsClient(gateway.wsUrl));
    const pending = next(first);
    await waitFor(() => sim.activeSubscriptions().some((s) => s.dataType === 'spotPrice'), 'the upstream subscription');
    sim.sendRaw('futures', priceFrame('1', TS_1));
    expect(await pending).toEqual(event('1', TS_1));

    const before = await undecodable();
    // Out of range, then a connect reply (recognised, not garbage), a heartbeat answer in the loose form, then good.
    sim.sendRaw('futures', priceFrame('2', 1e20));
    sim.sendRaw('futures', '{"c":10,"rc":1}');
    sim.sendRaw('futures', '{"c":"11","rc":"1"}');
    sim.sendRaw('futures', priceFrame('3', TS_2));
    // Frames on one socket are handled in order: the good frame arriving means the others were dealt with.
    expect(await next(first)).toEqual(event('3', TS_2));
    expect(await undecodable()).toBe(before + 1);

    // The same cause again, on a state channel: not served to a subscriber who joins after it.
    sim.sendRaw('futures', priceFrame('4', '"1e400"'));
    const deadline = Date.now() + 8_000;
    while ((await undecodable()) < before + 2) if (Date.now() > deadline) throw new Error('the second bad frame was not counted');
    const late = subscribe(wsClient(gateway.wsUrl));
    expect(await next(late)).toEqual(event('3', TS_2));

    sim.sendRaw('futures', priceFrame('5', TS_3));
    expect(await next(first)).toEqual(event('5', TS_3));
    expect(await next(late)).toEqual(event('5', TS_3));

    const causes = gateway.logs.lines
      .filter((l) => l.msg?.startsWith('dropped upstream frame'))
      .map((l) => (l.obj as { cause: string }).cause);
    expect(causes).toEqual(['futuresIndexPrice: IndexPrice.timestamp: not a valid timestamp']);
    await first.return?.();
    await late.return?.();
  });
});
