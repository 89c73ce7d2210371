/**
 * The seam of a resume over a stream backend (the cluster's window), in the
 * hub alone: the replay may read further than this replica's live feed has
 * delivered (the stream is ahead of the feed), and the feed then delivers
 * those trades too. Each trade reaches the subscriber once, in order; and the
 * replay waits for the topic's confirmation (the feed's start) before it reads.
 */
import { describe, expect, it } from 'vitest';
import { CHANNELS } from '../src/channels/registry.ts';
import { encodeCursor } from '../src/hub/cursor.ts';
import { attachResuming, checkCursor, newResumeCounts } from '../src/hub/resume.ts';
import type { ResumeWindow, WindowEntry, WindowRead } from '../src/hub/resume-window.ts';
import type { HubPort, SourceTopic } from '../src/hub/source-port.ts';
import { createTopicTable } from '../src/hub/topic-table.ts';

const trades = CHANNELS.futuresTrades;
const TOPIC = { channel: 'futuresTrades', key: 'BTCUSD' } as const;
const EPOCH = 'stream.1';

/** A decoded trade at stream sequence `seq` (its id complete, as the engine carries it). */
const trade = (seq: number) => ({
  id: `BTCUSD|${1_700_000_000_000 + seq}|${60_000 + seq}|0.1|BUY|0`,
  symbol: 'BTCUSD',
  price: String(60_000 + seq),
  volume: '0.1',
  side: 'BUY',
  timestamp: 1_700_000_000_000 + seq,
});

/** A stream-like window: positions come from the source, `after` answers when the test says. */
function streamLikeWindow() {
  const reads: Array<(read: WindowRead) => void> = [];
  const window: ResumeWindow = {
    epoch: EPOCH,
    readsAfterConfirm: true,
    retain: () => [],
    release: () => undefined,
    append: (_topic, items, _at, positions) => items.map((_, i) => positions?.[i] ?? 0),
    gap: () => undefined,
    after: () => new Promise<WindowRead>((resolve) => reads.push(resolve)),
    newest: () => Promise.resolve([]),
    close: () => undefined,
  };
  return { window, reads };
}

const idsIn = (values: readonly unknown[]) =>
  values.flatMap((v) =>
    Array.isArray(v) ? v.map((t: unknown) => (typeof t === 'object' && t !== null && 'id' in t ? String(t.id) : '')) : [],
  );

describe('the seam over a stream backend', () => {
  it('delivers a trade the replay read and the live feed delivers later once, and reads only once the topic is confirmed', async () => {
    const { window, reads } = streamLikeWindow();
    let hub: HubPort | undefined;
    let opened: SourceTopic | undefined;
    const table = createTopicTable({ window }, (port) => {
      hub = port;
      return {
        subscribe: (topic) => void (opened = topic),
        unsubscribe: () => undefined,
        close: () => undefined,
        status: () => undefined,
      };
    });
    const counts = newResumeCounts();
    const after = encodeCursor({ topic: TOPIC, epoch: EPOCH, position: 2, at: trade(2).timestamp });
    const args = trades.parseArgs({ symbol: 'BTCUSD', after }, Date.now());
    const cursor = checkCursor(trades, args, after, counts);
    const subscription = attachResuming((listener) => table.join(trades, args, listener), trades, args, { window, cursor, counts }, {});
    const publish = (seq: number) => hub?.publish(opened as SourceTopic, [trade(seq)], Date.now(), undefined, [seq]);

    await new Promise((r) => setTimeout(r, 20));
    expect(reads).toHaveLength(0);
    hub?.answered(opened as SourceTopic, Date.now());
    await new Promise((r) => setTimeout(r, 20));
    expect(reads).toHaveLength(1);

    // The feed delivered 3 while the stream was read; the stream already held 3, 4 and 5.
    publish(3);
    const entries: WindowEntry[] = [3, 4, 5].map((seq) => ({ kind: 'trade', position: seq, at: trade(seq).timestamp, trade: trade(seq) }));
    reads[0]?.({ status: 'kept', entries });
    await new Promise((r) => setTimeout(r, 20));
    // The feed catches up with what the replay gave, then goes on.
    publish(4);
    publish(5);
    publish(6);

    const values: unknown[] = [];
    while (idsIn(values).length < 4) {
      const next = await subscription.events.next();
      if (next.done === true) break;
      values.push(next.value);
    }
    expect(idsIn(values)).toEqual([3, 4, 5, 6].map((seq) => trade(seq).id));
    await subscription.events.return();
    table.close();
  });
});
