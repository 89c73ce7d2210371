/**
 * The engine boundary's check of one message (`message-check.ts`) and what
 * becomes of what it refuses (`bad-messages.ts`): bad items are left out and
 * the rest kept, a message left with none is skipped, a message that is no
 * envelope or has a time out of range is dropped, a gap marker out of range
 * too; each is counted by reason, and logged at most once per reason per
 * BAD_MESSAGE_LOG_INTERVAL_MS with how many lines it stood for.
 */
import { headers } from '@nats-io/transport-node';
import { describe, expect, it } from 'vitest';
import { CHANNELS } from '../../src/channels/registry.ts';
import { BAD_MESSAGE_LOG, BAD_MESSAGE_LOG_INTERVAL_MS, createBadMessages } from '../../src/sources/cluster/bad-messages.ts';
import { GAP_HEADER } from '../../src/sources/cluster/gap-marker.ts';
import { checkMessages, type BadMessage } from '../../src/sources/cluster/message-check.ts';
import { captureLogs } from '../helpers/gateway.ts';

const T = 1_700_000_000_000;
const trade = (price: string, over: Record<string, unknown> = {}) => ({
  id: `BTCUSD|${T}|${price}|1|BUY|0`,
  symbol: 'BTCUSD',
  price,
  volume: '1',
  side: 'BUY',
  timestamp: T,
  ...over,
});
const bytes = (body: unknown) => new TextEncoder().encode(typeof body === 'string' ? body : JSON.stringify(body));
const gapHeaders = (reason: string) => {
  const h = headers();
  h.set(GAP_HEADER, reason);
  return h;
};

describe('checkMessages', () => {
  const setUp = () => {
    const bad: BadMessage[] = [];
    const check = checkMessages(CHANNELS.futuresTrades, 'futures:futuresTrades:BTCUSD', (b) => bad.push(b));
    return { bad, check };
  };

  it('leaves out the bad items of a message and keeps the rest', () => {
    const { bad, check } = setUp();
    const body = check.body(bytes({ items: [trade('1'), null, trade('2', { timestamp: 1e300 }), trade('3')], ts: T }), undefined, 7);
    expect(body?.envelope?.items).toEqual([trade('1'), trade('3')]);
    expect(bad).toEqual([
      { topic: 'futures:futuresTrades:BTCUSD', seq: 7, reason: 'bad_item', problem: 'Trade: not an object' },
      { topic: 'futures:futuresTrades:BTCUSD', seq: 7, reason: 'bad_item', problem: 'Trade.timestamp: not a valid timestamp' },
    ]);
    // A message whose items all pass is handed on as it came.
    const fine = { items: [trade('4')], ts: T };
    expect(check.body(bytes(fine), undefined, 8)).toEqual({ envelope: fine });
  });

  it('skips a message left with no item, no envelope, an envelope time or a gap marker out of range', () => {
    const { bad, check } = setUp();
    expect(check.body(bytes({ items: [5, 'str'], ts: T }), undefined, 1)).toBeUndefined();
    expect(check.body(bytes('not json {'), undefined, 2)).toBeUndefined();
    expect(check.body(bytes({ items: [trade('1')], ts: 1e300 }), undefined, 3)).toBeUndefined();
    expect(check.body(bytes({ since: 1e300, until: 1e301 }), gapHeaders('UPSTREAM'), 4)).toBeUndefined();
    expect(check.body(bytes({ since: T, until: T + 1 }), gapHeaders('NOPE'), 5)).toBeUndefined();
    expect(bad.map((b) => [b.seq, b.reason])).toEqual([
      [1, 'bad_item'],
      [1, 'bad_item'],
      [2, 'not_envelope'],
      [3, 'not_envelope'],
      [4, 'bad_gap'],
      [5, 'bad_gap'],
    ]);
    // A marker within range is one.
    expect(check.body(bytes({ since: T, until: T + 1 }), gapHeaders('ENGINE'), 6)).toEqual({
      gap: { since: T, until: T + 1, reason: 'ENGINE' },
    });
  });
});

describe('createBadMessages', () => {
  it('counts every one, and logs the first of a reason, then one line per interval saying how many it stood for', () => {
    const logs = captureLogs();
    let now = 0;
    const bad = createBadMessages(logs.logger, () => now);
    const report = (reason: BadMessage['reason'], seq: number) => bad.report({ topic: 't', seq, reason, problem: 'p' });
    report('bad_item', 1);
    report('bad_item', 2);
    report('bad_item', 3);
    report('bad_gap', 4);
    now += BAD_MESSAGE_LOG_INTERVAL_MS;
    report('bad_item', 5);
    report('failed', 6);
    expect(bad.snapshot()).toEqual({ not_envelope: 0, bad_item: 4, bad_gap: 1, failed: 1 });
    const lines = logs.lines.filter((l) => l.msg === BAD_MESSAGE_LOG);
    expect(lines.map((l) => [l.level, l.obj])).toEqual([
      ['warn', { topic: 't', seq: 1, reason: 'bad_item', problem: 'p', suppressed: 0 }],
      ['warn', { topic: 't', seq: 4, reason: 'bad_gap', problem: 'p', suppressed: 0 }],
      ['warn', { topic: 't', seq: 5, reason: 'bad_item', problem: 'p', suppressed: 2 }],
      ['error', { topic: 't', seq: 6, reason: 'failed', problem: 'p', suppressed: 0 }],
    ]);
  });
});
