/**
 * A candle's cache id names its open time (issue 21): Apollo's cache merged
 * the 08:57 and 08:58 candles into one object while every candle had the id
 * `futuresKline:BTCUSD:M1`. Two candles never share an id; one candle keeps
 * its id while it updates.
 */
import { describe, expect, it } from 'vitest';
import { decodeItems } from '../src/channels/channel.ts';
import { CHANNELS } from '../src/channels/registry.ts';

const AT_0857 = Date.UTC(2023, 4, 26, 8, 57);
const MINUTE = 60_000;

const candle = (ts: number, close: string) => ({
  s: 'BTCUSD',
  pe: 'm1',
  open: '26440.7',
  high: '26443.1',
  low: '26439.9',
  close,
  v: '1.2',
  ts,
});
const idOf = (ts: number, close: string) => {
  const [item] = decodeItems(CHANNELS.futuresKline, candle(ts, close), { frameTs: ts + 500, receivedAt: ts + 600 });
  return (item as { id?: unknown } | undefined)?.id;
};

describe('Kline.id', () => {
  it('differs between the 08:57 and the 08:58 candle and names the open time', () => {
    expect(idOf(AT_0857, '26442.0')).toBe('BTCUSD:M1:2023-05-26T08:57:00.000Z');
    expect(idOf(AT_0857 + MINUTE, '26442.0')).toBe('BTCUSD:M1:2023-05-26T08:58:00.000Z');
  });

  it('stays the same while one candle updates', () => {
    expect(idOf(AT_0857, '26442.0')).toBe(idOf(AT_0857, '26450.5'));
  });
});
