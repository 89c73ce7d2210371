/**
 * The time a trades topic's reader served alone (the engine was unreachable),
 * judged once the topic's holders had their chance to catch up. A reader that
 * did not run the topic upstream when it went alone cannot tell what the
 * stream lacks of that time: around the engine's return every holder's lease
 * lapsed, and a holder whose upstream ran through stores that time from its
 * memory when it publishes again (`catch-up.ts`), a moment later (its lease
 * renewed, the exchange's next batch). Marking at once said "trades may be
 * missing" where the catch-up then stored every one.
 *
 * So the gap waits (`waitMs`, of the order of the lease TTL), and ends early
 * when the topic's feed brings a trade whose own time falls within it (a
 * catch-up filled it, or a holder stored it live: `covered`) or a gap marker
 * overlapping it (`said`). Then it is judged against the stream
 * (`gap-report.ts`: any node's trades of that time by their own times, this
 * replica's own holder's included, or an overlapping marker) and marked when
 * nothing shows the time filled: no holder came back, or a new one took the
 * lease after the outage and only publishes live (its first trades are after
 * the gap). The marker lands after what was stored during the wait: a replay
 * across it says it there, with its own times; replicas that served alone
 * through that time do not say it again live (`reader.ts`).
 *
 * A quiet market (no trade in the gap) is marked: a catch-up that had nothing
 * to store leaves nothing in the stream, and nothing there tells "no trade"
 * from "no holder had them"; the marker says "may be missing", never that
 * trades were lost. A market quiet after the engine's return is marked too when
 * the holders' next batch (and so their catch-up) comes after the wait.
 * A live trade a holder stored in the moments between the engine's return and
 * this reader's counts as a fill (the engine was back then), as does a partial
 * fill by a holder whose catch-up leaves the rest to its co-holder.
 *
 * The engine gone again while a gap waits: the wait stops; after the next
 * return the gap waits again, joined with the next time alone of its topic.
 * Stopping the replica judges every waiting gap at once.
 */
import type { GapResult } from './gap-counts.ts';
import type { GapMarker, StreamBody } from './gap-marker.ts';
import type { GapOutcome } from './gap-report.ts';
import type { ClusterTopic } from './subjects.ts';
import { timeOf } from './trade-items.ts';

/** How many lease TTLs a reader's time alone waits for the holders' catch-up (they renew every third of one, then publish). */
export const ENGINE_GAP_WAIT_TTLS = 2;
/** Stopping: how long the waiting gaps' judgement may hold the stop up. */
export const ENGINE_GAP_FLUSH_MS = 1_000;

/** A timer (tests inject their own). */
export type WaitTimer = (fire: () => void, ms: number) => { clear(): void };

const realTimer: WaitTimer = (fire, ms) => {
  const timer = setTimeout(fire, ms);
  timer.unref();
  return { clear: () => clearTimeout(timer) };
};

export interface EngineGapsOptions {
  readonly waitMs: number;
  /** Reads the stream and marks the gap unless it was covered or said (`gap-report.ts`); rejects when it could not. */
  readonly report: (topic: ClusterTopic, gap: GapMarker) => Promise<GapOutcome>;
  /** A gap was judged: its outcome, `failed` with the error when it could not be marked; `early` when the feed showed it. */
  readonly onJudged: (topic: ClusterTopic, gap: GapMarker, result: GapResult, detail: { early: boolean; error?: unknown }) => void;
  readonly timer?: WaitTimer;
}

export interface EngineGaps {
  /** A reader back on the engine served alone from `since` until `until`: judged after the wait (joined with one waiting). */
  defer(topic: ClusterTopic, since: number, until: number): void;
  /** A message of the topic from the engine: a trade of a waiting gap's time, or a marker over it, ends the wait. */
  heard(topicId: string, message: StreamBody): void;
  /** The engine went away: waits stop. */
  pause(): void;
  /** The engine is back: stopped waits start again. */
  resume(): void;
  /** Judges every waiting gap now (the replica stops); resolves within `ENGINE_GAP_FLUSH_MS`. */
  flush(): Promise<void>;
}

interface Waiting {
  readonly topic: ClusterTopic;
  gap: GapMarker;
  timer: { clear(): void } | undefined;
}

/** What a message shows of `gap`: trades of its time (covered), a marker over it (said), or nothing. */
function shows(message: StreamBody, gap: GapMarker): GapOutcome | undefined {
  if (message.gap !== undefined) return message.gap.since <= gap.until && message.gap.until >= gap.since ? 'said' : undefined;
  const { items, ts } = message.envelope;
  return items.some((item) => timeOf(item, ts) >= gap.since && timeOf(item, ts) <= gap.until) ? 'covered' : undefined;
}

export function createEngineGaps(options: EngineGapsOptions): EngineGaps {
  const timer = options.timer ?? realTimer;
  const waiting = new Map<string, Waiting>();
  let paused = false;

  const judge = (entry: Waiting): Promise<void> => {
    entry.timer?.clear();
    if (waiting.get(entry.topic.id) === entry) waiting.delete(entry.topic.id);
    const { topic, gap } = entry;
    return options.report(topic, gap).then(
      (outcome) => options.onJudged(topic, gap, outcome, { early: false }),
      (error: unknown) => options.onJudged(topic, gap, 'failed', { early: false, error }),
    );
  };

  const arm = (entry: Waiting) => {
    entry.timer?.clear();
    entry.timer = paused ? undefined : timer(() => void judge(entry), options.waitMs);
  };

  return {
    defer(topic, since, until) {
      const held = waiting.get(topic.id);
      const gap: GapMarker =
        held === undefined
          ? { since, until, reason: 'ENGINE' }
          : { since: Math.min(since, held.gap.since), until: Math.max(until, held.gap.until), reason: 'ENGINE' };
      const entry = held ?? { topic, gap, timer: undefined };
      entry.gap = gap;
      waiting.set(topic.id, entry);
      arm(entry);
    },
    heard(topicId, message) {
      const entry = waiting.get(topicId);
      if (entry === undefined) return;
      const outcome = shows(message, entry.gap);
      if (outcome === undefined) return;
      entry.timer?.clear();
      waiting.delete(topicId);
      options.onJudged(entry.topic, entry.gap, outcome, { early: true });
    },
    pause() {
      paused = true;
      for (const entry of waiting.values()) arm(entry);
    },
    resume() {
      paused = false;
      for (const entry of waiting.values()) if (entry.timer === undefined) arm(entry);
    },
    async flush() {
      const all = [...waiting.values()].map(judge);
      let bound: { clear(): void } | undefined;
      const late = new Promise<void>((resolve) => (bound = timer(resolve, ENGINE_GAP_FLUSH_MS)));
      await Promise.race([Promise.all(all), late]);
      bound?.clear();
    },
  };
}
