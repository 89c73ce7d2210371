/**
 * A holder's catch-up reads the topic's last stored trades through the engine
 * boundary's check: a forged last message (a trade dated 1e300, written by
 * someone with access to the stream) is passed over, counted as bad, and the
 * catch-up fills from the real last trade. Unchecked, the forged time made it
 * fill nothing and mark a gap of impossible times, which readers drop: trades
 * went missing with nothing said. A gap judgement reads through it too: a
 * forged marker over all time does not count as the gap said already.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { futuresTrades } from '../../src/channels/futures/trades.ts';
import { catchUp } from '../../src/sources/cluster/catch-up.ts';
import { reportGap } from '../../src/sources/cluster/gap-report.ts';
import { encodeEnvelope } from '../../src/sources/cluster/envelope.ts';
import { checkMessages, type BadMessage } from '../../src/sources/cluster/message-check.ts';
import { createPublisher } from '../../src/sources/cluster/publisher.ts';
import { readSubject } from '../../src/sources/cluster/stream-read.ts';
import type { ClusterTopic } from '../../src/sources/cluster/subjects.ts';
import { engineSettings, testEngine } from '../helpers/cluster-engine.ts';
import { disposeAll } from '../helpers/gateway.ts';
import { useOwnNatsServer } from '../helpers/nats-server.ts';

useOwnNatsServer();
afterEach(disposeAll);

const TOPIC: ClusterTopic = { id: 'futures:futuresTrades:BTCUSD', kind: 'event', market: 'futures' };
const at = (n: number) => 1_700_000_000_000 + n;
/** A trade as the engine stores them (a valid record of its shape). */
const trade = (n: number) => ({ id: `t${n}`, symbol: 'BTCUSD', price: String(n), volume: '1', side: 'BUY', timestamp: at(n) });
const trades = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => trade(from + i));
const idOf = (item: unknown) => (item as { id: string }).id;

describe('a catch-up after a forged last message', () => {
  it('passes over it, says it, and fills from the real last trade', async () => {
    const engine = await testEngine(engineSettings());
    const publisher = createPublisher({ js: engine.js, names: engine.names, node: 'me' });
    const subject = engine.names.subject(TOPIC);
    await publisher.publishEvents(TOPIC, trades(1, 3), idOf, at(3));
    await engine.js.publish(subject, encodeEnvelope([{ ...trade(99), timestamp: 1e300 }], at(4)), { msgID: 'forged' });
    const bad: BadMessage[] = [];

    const result = await catchUp({
      engine,
      publisher,
      topic: TOPIC,
      node: 'me',
      othersHold: () => Promise.resolve(false),
      valid: () => true,
      now: () => at(10),
      batch: [trade(6)],
      recent: trades(1, 5),
      check: checkMessages(futuresTrades, TOPIC.id, (b) => void bad.push(b)),
    });

    expect(result).toEqual({ filled: 2, holes: [] });
    expect(bad.map((b) => b.reason)).toContain('bad_item');
    const stored = await readSubject(engine, subject);
    expect(stored.flatMap((r) => (r.envelope === undefined ? ['gap'] : r.envelope.items.map(idOf)))).toEqual([
      't1',
      't2',
      't3',
      't99',
      't4',
      't5',
    ]);
  });
});

describe('a gap judgement after a forged marker', () => {
  it('is not talked out of its marker by a marker of impossible times', async () => {
    const engine = await testEngine(engineSettings());
    const publisher = createPublisher({ js: engine.js, names: engine.names, node: 'me' });
    await publisher.publishEvents(TOPIC, trades(1, 3), idOf, at(3));
    // Someone with access to the stream writes a marker over all time: it would make any gap "said" already.
    await createPublisher({ js: engine.js, names: engine.names, node: 'forger' }).publishGap(
      TOPIC,
      { since: 0, until: 1e300, reason: 'ENGINE' },
      'forged',
    );
    const bad: BadMessage[] = [];
    const gap = { since: at(4), until: at(8), reason: 'ENGINE' as const };

    const outcome = await reportGap({
      engine,
      publisher,
      topic: TOPIC,
      node: 'me',
      gap,
      cutOff: true,
      check: checkMessages(futuresTrades, TOPIC.id, (b) => void bad.push(b)),
    });

    expect(outcome).toBe('published');
    expect(bad.map((b) => b.reason)).toEqual(['bad_gap']);
  });
});
