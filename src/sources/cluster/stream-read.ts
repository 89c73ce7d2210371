/**
 * Reading a topic's past from the engine's trades stream: the messages of one
 * subject from a sequence on, oldest first, up to what the stream holds when
 * the read reaches its end (a short-lived ordered consumer with the topic's
 * single `filter_subject`; NATS 2.9 has no multi-subject filters and no
 * batched Direct Get). Each message comes back as what it is (trades, or a gap
 * marker), with its sequence, the time the engine stored it and the node that
 * wrote it. Messages that are neither are skipped (said by `check`, which also
 * leaves out bad items, when the read has one).
 *
 * A read asks the engine for no more than it may use: each pull is at most
 * the trades still wanted and at most the sequences left before `upTo`, so a
 * bounded read asks for what it returns (gap markers aside), never a batch
 * more. `onRead` hears how many messages the read asked the engine for (a
 * read that fails included): what the engine delivered is at most that.
 *
 * A pull that comes back empty (nothing within `READ_EXPIRES_MS`) ends the
 * read only at the subject's end: its last sequence (a Direct Get) is checked,
 * and while the subject holds more past the read (a slow engine), the read
 * pulls again; `READ_EMPTY_PULLS` empty pulls in a row then fail the read
 * (the window answers `unavailable`), never a short read taken for the end.
 */
import { DeliverPolicy } from '@nats-io/jetstream';
import type { Engine } from './engine.ts';
import { decodeStreamBody, type StreamBody } from './gap-marker.ts';
import type { MessageCheck } from './message-check.ts';
import { NODE_HEADER } from './publisher.ts';

/** Messages asked of the engine per pull while reading. */
export const READ_BATCH = 500;
/** How long one pull of a read waits at the engine before it comes back (empty when nothing came). */
export const READ_EXPIRES_MS = 2_000;
/** Empty pulls in a row, while the subject holds more past the read, before the read fails (the engine is not delivering). */
export const READ_EMPTY_PULLS = 3;

export type StreamRecord = StreamBody & {
  readonly seq: number;
  /** When the engine stored it (epoch ms). */
  readonly storedAt: number;
  /** The replica that wrote it ('' when unnamed). */
  readonly node: string;
};

export interface ReadOptions {
  /** The first sequence to read (the subject's next message at or after it). Default: the subject's first. */
  readonly from?: number;
  /** Stop once this many trade messages were read (default: all). */
  readonly maxTrades?: number;
  /** The last sequence to read (default: the stream's end). */
  readonly upTo?: number;
  /** How many messages this read asked the engine for (once, at its end): the engine delivered at most that many. */
  readonly onRead?: (messages: number) => void;
  /** Reads each message through the engine boundary's check (`message-check.ts`); without it, unchecked. */
  readonly check?: MessageCheck;
}

/** The subject's first message at or after `from` (its sequence), or undefined when there is none. */
export async function firstSequence(engine: Engine, subject: string, from?: number): Promise<number | undefined> {
  const found = await engine.jsm.direct.getMessage(engine.names.eventStream, {
    ...(from === undefined ? {} : { seq: Math.max(1, from) }),
    next_by_subj: subject,
  });
  return found === null ? undefined : found.seq;
}

/** Whether the subject holds a message at or after `next` (its last one is there), by a Direct Get. */
async function holdsFrom(engine: Engine, subject: string, next: number): Promise<boolean> {
  const last = await engine.jsm.direct.getMessage(engine.names.eventStream, { last_by_subj: subject });
  return last !== null && last.seq >= next;
}

/** Reads the subject's messages from `options.from` (to `options.upTo`), oldest first. */
export async function readSubject(engine: Engine, subject: string, options: ReadOptions = {}): Promise<StreamRecord[]> {
  const start = await firstSequence(engine, subject, options.from);
  const upTo = options.upTo ?? Number.POSITIVE_INFINITY;
  if (start === undefined || start > upTo) {
    options.onRead?.(0);
    return [];
  }
  const maxTrades = options.maxTrades ?? Number.POSITIVE_INFINITY;
  const out: StreamRecord[] = [];
  let trades = 0;
  let asked = 0;
  /** The next sequence the read may get: the subject has at most `upTo - next + 1` messages left in range. */
  let next = start;
  let emptyPulls = 0;
  const consumer = await engine.js.consumers.get(engine.names.eventStream, {
    filter_subjects: subject,
    deliver_policy: DeliverPolicy.StartSequence,
    opt_start_seq: start,
  });
  try {
    for (let done = false; !done && trades < maxTrades && next <= upTo;) {
      const wanted = Math.min(READ_BATCH, maxTrades - trades, upTo - next + 1);
      asked += wanted;
      const batch = await consumer.fetch({ max_messages: wanted, expires: READ_EXPIRES_MS });
      let got = 0;
      for await (const m of batch) {
        got += 1;
        next = m.seq + 1;
        // The subject's next message lies past the range (at most one such message is asked for).
        if (m.seq > upTo) {
          done = true;
          batch.stop();
          break;
        }
        const body = options.check === undefined ? decodeStreamBody(m.data, m.headers) : options.check.body(m.data, m.headers, m.seq);
        if (body !== undefined) {
          out.push({ ...body, seq: m.seq, storedAt: m.time.getTime(), node: m.headers?.get(NODE_HEADER) ?? '' });
          if (body.envelope !== undefined) trades += 1;
        }
        if (m.info.pending === 0 || trades >= maxTrades || m.seq >= upTo) {
          done = true;
          batch.stop();
          break;
        }
      }
      if (got > 0) emptyPulls = 0;
      // Nothing came back: the subject's end, or an engine too slow to deliver within the pull (then more is there).
      else if (!(await holdsFrom(engine, subject, next))) done = true;
      else if (++emptyPulls >= READ_EMPTY_PULLS)
        throw new Error(
          `the engine delivered nothing of ${subject} from sequence ${next} in ${READ_EMPTY_PULLS} pulls, though it holds more`,
        );
    }
  } finally {
    // Said of a read that failed too (the engine was asked all the same).
    options.onRead?.(asked);
    await consumer.delete().catch(() => undefined);
  }
  return out;
}

/** The stream's first sequence now (messages before it are gone: aged out or pushed out). */
export async function streamFirstSequence(engine: Engine): Promise<number> {
  const info = await engine.jsm.streams.info(engine.names.eventStream);
  return info.state.first_seq;
}

/** The stream's last sequence now (it only grows while the stream lives: a position past it is of another stream). */
export async function streamLastSequence(engine: Engine): Promise<number> {
  const info = await engine.jsm.streams.info(engine.names.eventStream);
  return info.state.last_seq;
}
