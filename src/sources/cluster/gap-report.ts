/**
 * Whether a holder's own gap goes into the stream. A trades topic has up to
 * `CLUSTER_EVENT_PUBLISHERS` holders; when one of them misses trades (its
 * Coincall connection dropped, or it could not reach the engine), the other
 * may have stored every one of them, and then nothing was lost.
 *
 * What is chosen (docs/deploy.md says it too): the holder reads what the
 * stream got of the topic since its gap began. If another node stored trades
 * of the topic during the gap, the gap was covered (that node was live and
 * publishing; if it missed some of its own, it reports its own gap). If
 * another node already marked an overlapping gap, it was said. Otherwise the
 * marker goes in (`gap-marker.ts`). So a gap only this holder had is never
 * reported while the other publisher was storing trades; a gap both had (the
 * exchange's own outage) is reported, once or, when both holders come back at
 * the same instant, twice; a quiet market during a gap of a sole holder is
 * reported (nothing shows that trades were not missed).
 *
 * Trades stored after the gap began whose own time falls within it cover it
 * too, whenever they were stored: a holder's catch-up filled that time from
 * its own upstream's memory (`catch-up.ts`). A replica back from serving alone
 * (reason ENGINE, `engine-gaps.ts`: `cutOff`) stored nothing while it was cut
 * off: its own messages since (its holder's catch-up) count as well, and only
 * the trades' own times do (the engine may have been back, and a catch-up
 * storing older trades, before this replica was: a trade stored within the gap
 * need not be one of its time).
 */
import type { Engine } from './engine.ts';
import type { Envelope } from './envelope.ts';
import type { GapMarker } from './gap-marker.ts';
import type { Publisher } from './publisher.ts';
import type { MessageCheck } from './message-check.ts';
import { readSubject } from './stream-read.ts';
import type { ClusterTopic } from './subjects.ts';
import { timeOf } from './trade-items.ts';

export type GapOutcome = 'published' | 'covered' | 'said';

export interface GapReport {
  readonly engine: Engine;
  readonly publisher: Publisher;
  readonly topic: ClusterTopic;
  /** This holder's node id. */
  readonly node: string;
  readonly gap: GapMarker;
  /**
   * The sequence of the last message stored before the gap (a catch-up knows it; its gap's `since` is in the
   * trades' own time, not the engine's): only messages after it show the gap covered or said.
   */
  readonly after?: number;
  /**
   * This node was cut off from the engine during the gap (reason ENGINE): it stored nothing then, so its own messages
   * after it began count too, and trades count by their own times only.
   */
  readonly cutOff?: boolean;
  /** Reads the topic's messages through the engine boundary's check (`message-check.ts`): a forged marker or trade is no cover. */
  readonly check?: MessageCheck;
}

/** Whether one of the envelope's trades happened within the gap (its own time; the frame's for one without). */
const within = (envelope: Envelope, gap: GapMarker): boolean =>
  envelope.items.some((item) => {
    const at = timeOf(item, envelope.ts);
    return at >= gap.since && at <= gap.until;
  });

/** Reads the topic's messages stored since the gap began and publishes the marker unless the gap was covered or said. */
export async function reportGap(report: GapReport): Promise<GapOutcome> {
  const { engine, topic, node, gap } = report;
  const subject = engine.names.subject(topic);
  const { after } = report;
  const last = await engine.jsm.direct.getMessage(engine.names.eventStream, { last_by_subj: subject });
  const storedSince = last !== null && (after === undefined ? last.time.getTime() >= gap.since : last.seq > after);
  if (last !== null && storedSince) {
    // Something was stored since the gap began: read from the last message before it (a few seconds of the topic at most).
    const from = after === undefined ? await sequenceBefore(engine, subject, gap.since, last.seq) : after + 1;
    const records = await readSubject(engine, subject, { from, ...(report.check === undefined ? {} : { check: report.check }) });
    for (const record of records) {
      if ((record.node === node && report.cutOff !== true) || (after === undefined && record.storedAt < gap.since)) continue;
      const storedWithin = report.cutOff !== true && record.storedAt <= gap.until;
      if (record.envelope !== undefined && (after !== undefined || storedWithin || within(record.envelope, gap))) return 'covered';
      if (record.gap !== undefined && record.gap.since <= gap.until && record.gap.until >= gap.since) return 'said';
    }
  }
  await report.publisher.publishGap(topic, gap, `gap:${node}:${topic.id}:${gap.reason}:${gap.since}`);
  return 'published';
}

/** A sequence at or before the topic's first message stored at or after `since` (steps back from `last`, doubling). */
async function sequenceBefore(engine: Engine, subject: string, since: number, last: number): Promise<number> {
  for (let step = 64; ; step *= 2) {
    const probe = Math.max(1, last - step);
    const found = await engine.jsm.direct.getMessage(engine.names.eventStream, { seq: probe, next_by_subj: subject });
    if (found === null || found.time.getTime() < since || probe === 1) return probe;
  }
}
