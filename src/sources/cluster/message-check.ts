/**
 * The engine boundary's check: what a message of a topic's subject may hand
 * into this replica. Anyone who can write to the streams' subjects can store
 * anything there, so every place that reads engine messages (a reader's live
 * feed and a state topic's first value, `feed.ts`; the resume window's and the
 * trades Query's reads, `stream-window.ts` over `stream-read.ts`) reads them
 * through one check:
 *
 * - an envelope's `ts` must be an epoch ms within MIN_TIMESTAMP_MS to
 *   MAX_TIMESTAMP_MS, else the message is no envelope (`not_envelope`, as a
 *   message that is no JSON or has no `items` list);
 * - each item must be a valid record of its channel's item shape
 *   (`channels/record-check.ts`, from the field tables); a bad one is left out
 *   (`bad_item`) and the rest of the message goes on; a message left with no
 *   item is skipped;
 * - a gap marker's times must be epoch ms within the same range, and its
 *   reason known, else the marker is dropped (`bad_gap`). It does not become a
 *   generic gap: a marker that fails the check was not written by a gateway
 *   (a gateway writes the times of its trades or its clock), so it says nothing
 *   to trust; the log line says it was dropped.
 *
 * Each bad thing is counted (`bad-messages.ts`, the metric) and logged with
 * its topic and sequence. `failed`: the hand-off of a message that passed the
 * check threw (a second line: the check is the fix, this keeps a reader alive).
 */
import type { MsgHdrs } from '@nats-io/transport-node';
import type { AnyChannel } from '../../channels/channel.ts';
import { recordProblem } from '../../channels/record-check.ts';
import { MAX_TIMESTAMP_MS, MIN_TIMESTAMP_MS } from '../../lib/decimal.ts';
import { decodeStreamBody, GAP_HEADER, type StreamBody } from './gap-marker.ts';

/** The `reason` label's values (every one present, 0 until counted). */
export const BAD_MESSAGE_REASONS = ['not_envelope', 'bad_item', 'bad_gap', 'failed'] as const;
export type BadMessageReason = (typeof BAD_MESSAGE_REASONS)[number];

/** Something of an engine message this process did not take. */
export interface BadMessage {
  /** The cluster topic id. */
  readonly topic: string;
  /** The message's stream sequence. */
  readonly seq: number;
  readonly reason: BadMessageReason;
  /** What was wrong (the first problem of a bad item, the error of a failed hand-off). */
  readonly problem: string;
}

export type ReportBadMessage = (bad: BadMessage) => void;

/** The check of one topic's messages. */
export interface MessageCheck {
  /** Message `seq`'s body with its bad items left out; undefined (said) when nothing of it may be taken. */
  body(data: Uint8Array, headers: MsgHdrs | undefined, seq: number): StreamBody | undefined;
  /** The hand-off of message `seq` threw: said and counted, never thrown on. */
  failed(seq: number, error: unknown): void;
}

/** Whether `value` is an epoch ms an envelope or a gap marker may carry (finite, within the timestamps' range). */
export const isEngineTime = (value: number): boolean => Number.isFinite(value) && value >= MIN_TIMESTAMP_MS && value <= MAX_TIMESTAMP_MS;

/** The check of the messages of `topic` (a cluster topic id), a topic of `channel`. */
export function checkMessages(channel: AnyChannel, topic: string, report: ReportBadMessage): MessageCheck {
  const bad = (seq: number, reason: BadMessageReason, problem: string) => report({ topic, seq, reason, problem });
  return {
    body(data, headers, seq) {
      const body = decodeStreamBody(data, headers);
      if (body === undefined) {
        if (headers?.has(GAP_HEADER) === true) bad(seq, 'bad_gap', `not a gap marker (reason "${headers.get(GAP_HEADER)}")`);
        else bad(seq, 'not_envelope', 'not an envelope of items and a time');
        return undefined;
      }
      if (body.gap !== undefined) {
        const { since, until } = body.gap;
        if (isEngineTime(since) && isEngineTime(until)) return body;
        bad(seq, 'bad_gap', `gap marker times out of range (since ${since}, until ${until}): dropped, not said to clients`);
        return undefined;
      }
      const { items, ts } = body.envelope;
      if (!isEngineTime(ts)) {
        bad(seq, 'not_envelope', `envelope time out of range (${ts})`);
        return undefined;
      }
      let kept: unknown[] | undefined;
      for (let i = 0; i < items.length; i++) {
        const problem = recordProblem(channel.item, items[i]);
        if (problem === undefined) {
          kept?.push(items[i]);
          continue;
        }
        bad(seq, 'bad_item', problem);
        kept ??= items.slice(0, i);
      }
      if (kept === undefined) return body;
      return kept.length === 0 ? undefined : { envelope: { items: kept, ts } };
    },
    failed: (seq, error) => bad(seq, 'failed', error instanceof Error ? `${error.name}: ${error.message}` : String(error)),
  };
}
