/**
 * Publishing what this replica holds into the engine. A trade is one message
 * whose `Nats-Msg-Id` is the trade's id, so the copy published by the topic's
 * other holder is dropped by the engine (`duplicate`). A state topic's value
 * is one message fenced with `Nats-Expected-Last-Subject-Sequence`: a stale
 * holder that has not seen the new holder's writes is refused by the engine.
 * Every outcome is counted (`stored`, `duplicate`, `refused`). A gap marker
 * (`gap-marker.ts`) goes on the topic's subject with its header, not counted.
 * Every message carries the time its value was held (`engine-latency.ts`:
 * readers measure the engine hop from it); by default, the publish's own.
 */
import { headers, type MsgHdrs } from '@nats-io/transport-node';
import type { JetStreamClient } from '@nats-io/jetstream';
import { JetStreamApiError } from '@nats-io/jetstream';
import type { ClusterNames, ClusterTopic } from './subjects.ts';
import { encodeEnvelope } from './envelope.ts';
import { encodeGapMarker, GAP_HEADER, type GapMarker } from './gap-marker.ts';
import { engineClock, stampHeldAt } from './engine-latency.ts';

export type PublishResult = 'stored' | 'duplicate' | 'refused';

/** The header naming the replica that wrote a message (operators and tests see who published what). */
export const NODE_HEADER = 'Coincall-Gateway-Node';

/** The engine's code for "wrong last sequence" (a fenced write). */
export const WRONG_LAST_SEQUENCE = 10071;

export interface PublisherOptions {
  readonly js: JetStreamClient;
  readonly names: ClusterNames;
  readonly count?: (result: PublishResult) => void;
  /** This replica's node id, sent in NODE_HEADER. */
  readonly node?: string;
}

export interface Publisher {
  /**
   * Publishes trades one message each, `Nats-Msg-Id` = `idOf(trade)`; resolves the outcomes in order.
   * `heldAt`: when the holder took them from its upstream (`engineClock()` time; default now).
   */
  publishEvents(
    topic: ClusterTopic,
    items: readonly unknown[],
    idOf: (item: unknown) => string,
    ts: number,
    heldAt?: number,
  ): Promise<PublishResult[]>;
  /**
   * Publishes a state topic's value, expecting `expected` as the subject's last
   * sequence; resolves the outcome and, when stored, the new sequence.
   */
  publishState(
    topic: ClusterTopic,
    items: readonly unknown[],
    ts: number,
    expected: number,
    heldAt?: number,
  ): Promise<{ result: PublishResult; seq: number }>;
  /** Publishes a gap marker on a trades topic's subject (`Nats-Msg-Id` = `id`, so a retry is not stored twice); resolves its sequence. */
  publishGap(topic: ClusterTopic, gap: GapMarker, id: string): Promise<number>;
}

export function isFenced(error: unknown): boolean {
  return error instanceof JetStreamApiError && error.code === WRONG_LAST_SEQUENCE;
}

export function createPublisher(options: PublisherOptions): Publisher {
  const { js, names } = options;
  const count = options.count ?? (() => undefined);
  const signed = (heldAt = engineClock()): MsgHdrs => {
    const h = headers();
    if (options.node !== undefined) h.set(NODE_HEADER, options.node);
    stampHeldAt(h, heldAt);
    return h;
  };
  const gapHeaders = (gap: GapMarker): MsgHdrs => {
    const h = signed();
    h.set(GAP_HEADER, gap.reason);
    return h;
  };
  return {
    publishEvents: async (topic, items, idOf, ts, heldAt) => {
      const subject = names.subject(topic);
      const results = await Promise.all(
        items.map(async (item): Promise<PublishResult> => {
          try {
            const ack = await js.publish(subject, encodeEnvelope([item], ts), { msgID: idOf(item), headers: signed(heldAt) });
            return ack.duplicate ? 'duplicate' : 'stored';
          } catch (error) {
            if (isFenced(error)) return 'refused';
            throw error;
          }
        }),
      );
      results.forEach(count);
      return results;
    },
    publishGap: async (topic, gap, id) => {
      const ack = await js.publish(names.subject(topic), encodeGapMarker(gap), { msgID: id, headers: gapHeaders(gap) });
      return ack.seq;
    },
    publishState: async (topic, items, ts, expected, heldAt) => {
      try {
        const ack = await js.publish(names.subject(topic), encodeEnvelope(items, ts), {
          expect: { lastSubjectSequence: expected },
          headers: signed(heldAt),
        });
        count('stored');
        return { result: 'stored', seq: ack.seq };
      } catch (error) {
        if (!isFenced(error)) throw error;
        count('refused');
        return { result: 'refused', seq: expected };
      }
    },
  };
}
