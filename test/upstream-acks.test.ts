/**
 * The ack tracker, in-process with fake timers: a subscribe is answered by its
 * acknowledgement (matched by payload, or as the only pending topic of its
 * dataType) or by its first data; a refusal fails the topic; "too many
 * request" re-sends only the subscribes written shortly before and still
 * unanswered, after a backoff, and gives up after the bounded number of
 * re-sends; a reconnect starts the count over.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { CHANNELS } from '../src/channels/registry.ts';
import type { Frame } from '../src/coincall/protocol.ts';
import { silentLogger } from '../src/lib/logger.ts';
import { createAckTracker } from '../src/sources/coincall/ack-tracker.ts';
import { createRequestScheduler } from '../src/sources/coincall/request-scheduler.ts';
import type { Listener, TopicHandle } from '../src/hub/listener.ts';
import type { SourceTopic } from '../src/hub/source-port.ts';
import { createTopicTable } from '../src/hub/topic-table.ts';

const channel = CHANNELS.futuresIndexPrice;
const listener: Listener = { deliver: () => undefined, fail: () => undefined, end: () => undefined };
type Ack = Extract<Frame, { kind: 'ack' }>;
const ack = (payload: unknown, ok: boolean, message?: string): Ack => ({
  kind: 'ack',
  action: 'SUBSCRIBE',
  dataType: channel.dataType,
  payload,
  ok,
  message,
});
const RETRY_MS = 100;

afterEach(() => {
  vi.useRealTimers();
});

function tracked({ retries = 2, ackTimeoutMs = 60_000 } = {}) {
  vi.useFakeTimers({ now: 1_000_000 });
  const sent: Array<{ action: string; payload: unknown }> = [];
  const failures: string[] = [];
  const interruptions: string[] = [];
  let overdueCount = 0;
  /** The connection's writes: requests reach the socket when `written()` is called. */
  const queued: Array<() => void> = [];
  const table = createTopicTable({}, (hub) => {
    const scheduler = createRequestScheduler({
      send: (text, onWritten) => {
        sent.push(JSON.parse(text) as { action: string; payload: unknown });
        queued.push(onWritten);
      },
      isLive: (topic) => acks.tracks(topic),
      written: (request) => acks.written(request),
      // Picks at once: the test decides when requests reach the socket.
      defer: (pick) => pick(),
    });
    const acks = createAckTracker({
      hub: {
        answered: (topic, at) => hub.answered(topic, at),
        failed: (topic, error) => {
          failures.push(`${topic.key}: ${error.message}`);
          hub.failed(topic, error);
        },
        interrupted: (at, topic) => {
          interruptions.push(topic?.key ?? '*');
          hub.interrupted(at, topic);
        },
      },
      schedule: (topic, options) => scheduler.subscribe(topic, options),
      logger: silentLogger,
      now: Date.now,
      throttleRetries: retries,
      throttleBackoff: () => RETRY_MS,
      ackTimeoutMs,
      ackRetryBackoff: () => RETRY_MS,
      onOverdue: () => overdueCount++,
    });
    return {
      acks,
      find: hub.find,
      subscribe: (topic: SourceTopic) => acks.track(topic),
      unsubscribe: () => undefined,
      close: () => undefined,
      status: () => undefined,
    };
  });
  const acks = table.source.acks;
  /** Every queued request reaches the socket (the scheduler hands over the next as each is written). */
  const written = () => {
    for (let done = queued.shift(); done !== undefined; done = queued.shift()) done();
  };
  const handles = new Map<SourceTopic, TopicHandle>();
  const open = (symbol: string): SourceTopic => {
    const handle = table.join(channel, channel.parseArgs({ symbol }, Date.now()), listener);
    const topic = table.source.find(channel, symbol);
    if (topic === undefined) throw new Error('no topic');
    handles.set(topic, handle);
    return topic;
  };
  const confirmed = (topic: SourceTopic) => handles.get(topic)?.confirmed;
  const subscribes = (symbol: string) => sent.filter((r) => r.action === 'subscribe' && JSON.stringify(r.payload).includes(symbol)).length;
  return { table, acks, open, written, subscribes, failures, confirmed, interruptions, overdue: () => overdueCount };
}

describe('ack tracker', () => {
  it('moves a subscribe from sending to awaiting when written, and to answered by its acknowledgement', async () => {
    const { acks, open, written, confirmed } = tracked();
    const topic = open('BTCUSD');
    expect(acks.state(topic)?.kind).toBe('sending');
    written();
    expect(acks.state(topic)).toMatchObject({ kind: 'awaiting', since: Date.now(), retries: 0 });
    acks.handleAck(ack({ symbol: 'BTCUSD' }, true));
    expect(acks.state(topic)?.kind).toBe('answered');
    await expect(confirmed(topic)).resolves.toBeUndefined();
  });

  it('matches an acknowledgement whose echo differs in form to the only pending topic of its dataType', () => {
    const { acks, open, written } = tracked();
    const topic = open('BTCUSD');
    written();
    acks.handleAck(ack('an echo in another form', true));
    expect(acks.state(topic)?.kind).toBe('answered');
  });

  it('lets first data answer a subscribe', () => {
    const { acks, open, written } = tracked();
    const topic = open('BTCUSD');
    written();
    acks.answered(topic);
    expect(acks.pending(topic)).toBe(false);
  });

  it('fails a topic the exchange refused, with its reason', async () => {
    const { acks, open, written, failures, table, confirmed } = tracked();
    const topic = open('BTCUSD');
    written();
    acks.handleAck(ack({ symbol: 'BTCUSD' }, false, 'no such symbol'));
    expect(failures).toEqual(['BTCUSD: Coincall refused the spotPrice subscription: no such symbol']);
    await expect(confirmed(topic)).rejects.toMatchObject({ code: 'UPSTREAM_REJECTED' });
    expect(table.size).toBe(0);
  });

  it('re-sends, after the backoff, only the unanswered subscribes a "too many request" notice implicates', () => {
    const { acks, open, written, subscribes } = tracked();
    const answered = open('BTCUSD');
    const unanswered = open('ETHUSD');
    written();
    acks.handleAck(ack({ symbol: 'BTCUSD' }, true));
    expect(acks.handleNotice('too many request')).toBe(true);
    expect(acks.state(unanswered)?.kind).toBe('throttled');
    vi.advanceTimersByTime(RETRY_MS);
    expect(subscribes('ETHUSD')).toBe(2);
    expect(subscribes('BTCUSD')).toBe(1);
    expect(acks.state(answered)?.kind).toBe('answered');
    expect(acks.handleNotice('something else')).toBe(false);
  });

  it('leaves alone a subscribe written longer ago than the suspect window', () => {
    const { acks, open, written, subscribes } = tracked();
    open('BTCUSD');
    written();
    vi.advanceTimersByTime(10_000);
    acks.handleNotice('Too many requests');
    vi.advanceTimersByTime(RETRY_MS * 10);
    expect(subscribes('BTCUSD')).toBe(1);
  });

  it('gives up with UPSTREAM_REJECTED after the bounded number of re-sends', () => {
    const { acks, open, written, subscribes, failures } = tracked({ retries: 2 });
    open('BTCUSD');
    for (let i = 0; i < 3; i++) {
      written();
      acks.handleAck(ack({ symbol: 'BTCUSD' }, false, 'too many request'));
      vi.advanceTimersByTime(RETRY_MS);
    }
    expect(subscribes('BTCUSD')).toBe(3);
    expect(failures).toEqual(['BTCUSD: Coincall refused the spotPrice subscription 3 times for too many requests; try again later.']);
  });

  it('starts over after a reconnect: a scheduled re-send is cancelled and the count reset', () => {
    const { acks, open, written, subscribes } = tracked({ retries: 1 });
    const topic = open('BTCUSD');
    written();
    acks.handleAck(ack({ symbol: 'BTCUSD' }, false, 'too many request'));
    vi.advanceTimersByTime(RETRY_MS);
    written();
    acks.handleAck(ack({ symbol: 'BTCUSD' }, false, 'too many request'));
    expect(acks.state(topic)).toMatchObject({ kind: 'throttled', retries: 1 });
    acks.subscribe(topic);
    expect(acks.state(topic)).toEqual({ kind: 'sending', retries: 0 });
    vi.advanceTimersByTime(RETRY_MS * 10);
    expect(subscribes('BTCUSD')).toBe(3);
    expect(acks.state(topic)?.kind).toBe('sending');
  });
});

describe('ack deadline', () => {
  const DEADLINE_MS = 1_000;

  it('re-sends a subscribe left unanswered past the deadline, with backoff, until it is answered', () => {
    const { acks, open, written, subscribes, interruptions, overdue } = tracked({ ackTimeoutMs: DEADLINE_MS });
    const topic = open('BTCUSD');
    written();
    const writtenAt = Date.now();
    vi.advanceTimersByTime(DEADLINE_MS - 1);
    expect(acks.overdue()).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(acks.state(topic)?.kind).toBe('overdue');
    expect(acks.overdue()).toEqual([{ topic, since: writtenAt }]);
    expect(overdue()).toBe(1);
    expect(interruptions).toEqual(['BTCUSD']);
    vi.advanceTimersByTime(RETRY_MS);
    expect(subscribes('BTCUSD')).toBe(2);
    written();
    // Still unanswered since the first write, while the re-send waits for its own answer.
    expect(acks.overdue()).toEqual([{ topic, since: writtenAt }]);
    vi.advanceTimersByTime(DEADLINE_MS + RETRY_MS);
    expect(subscribes('BTCUSD')).toBe(3);
    expect(overdue()).toBe(2);
    written();
    acks.handleAck(ack({ symbol: 'BTCUSD' }, true));
    expect(acks.state(topic)?.kind).toBe('answered');
    expect(acks.overdue()).toEqual([]);
  });

  it('leaves an answered subscribe alone, and forgets a topic that left', () => {
    const { acks, open, written, subscribes, table } = tracked({ ackTimeoutMs: DEADLINE_MS });
    const answered = open('BTCUSD');
    written();
    acks.handleAck(ack({ symbol: 'BTCUSD' }, true));
    const left = open('ETHUSD');
    written();
    acks.forget(left);
    vi.advanceTimersByTime(DEADLINE_MS * 5);
    expect(acks.state(answered)?.kind).toBe('answered');
    expect(subscribes('BTCUSD')).toBe(1);
    expect(acks.overdue()).toEqual([]);
    table.close();
  });
});
