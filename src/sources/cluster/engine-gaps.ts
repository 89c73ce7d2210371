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
 * (`gap-report.ts` counts every node's trades of that time by their own times, this
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
 * Each time alone of a topic is judged on its own (its own wait, one
 * judgement, one count); two are merged only where they overlap: the up-time
 * between them had the holders live, and their trades of it say nothing of
 * either. The engine gone again while a gap waits, or while it is being
 * judged (the read failed): the wait stops; after the next return the gap
 * waits again (`onWaitAgain`). A judgement's read fails when the engine went
 * away at any time since it started, even when it is back by then (a request
 * that timed out after a quick return) or the failure came before the link saw
 * it go (a 503 as NATS shuts down): each time the engine goes away is counted
 * (its generation), and a read that failed across another generation, or
 * while the engine is away, waits again; one that failed with the engine up
 * throughout (a 503 before the link saw it go, a timeout) waits again too, up
 * to `ENGINE_GAP_JUDGE_TRIES` judgements. Stopping the replica judges every
 * waiting gap at once and waits for the judgements already under way (all
 * within `ENGINE_GAP_FLUSH_MS`: none reports after the stop but one past
 * that bound); one that cannot be judged then, or after its last try, counts
 * `failed`.
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
/** Judgements of a gap that may fail with the engine up (each after another wait) before it counts `failed`. */
export const ENGINE_GAP_JUDGE_TRIES = 3;

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
  /** A judgement the engine going away cut short (`error`): the gap waits again, for after the next return. */
  readonly onWaitAgain?: (topic: ClusterTopic, gap: GapMarker, error: unknown) => void;
  readonly timer?: WaitTimer;
}

export interface EngineGaps {
  /** A reader back on the engine served alone from `since` until `until`: judged after the wait (merged with a waiting gap it overlaps). */
  defer(topic: ClusterTopic, since: number, until: number): void;
  /** A message of the topic from the engine: a trade of a waiting gap's time, or a marker over it, ends the wait. */
  heard(topicId: string, message: StreamBody): void;
  /** The engine went away: waits stop. */
  pause(): void;
  /** The engine is back: stopped waits start again. */
  resume(): void;
  /** Judges every waiting gap now (the replica stops), and waits for judgements under way; resolves within `ENGINE_GAP_FLUSH_MS`. */
  flush(): Promise<void>;
}

interface Waiting {
  readonly topic: ClusterTopic;
  gap: GapMarker;
  timer: { clear(): void } | undefined;
  /** Judgements of it that failed with the engine up (a 503 or a timeout before the link saw it go). */
  failures: number;
}

/** What a message shows of `gap`: trades of its time (covered), a marker over it (said), or nothing. */
function shows(message: StreamBody, gap: GapMarker): GapOutcome | undefined {
  if (message.gap !== undefined) return message.gap.since <= gap.until && message.gap.until >= gap.since ? 'said' : undefined;
  const { items, ts } = message.envelope;
  return items.some((item) => timeOf(item, ts) >= gap.since && timeOf(item, ts) <= gap.until) ? 'covered' : undefined;
}

const overlap = (a: GapMarker, since: number, until: number) => a.since <= until && a.until >= since;

export function createEngineGaps(options: EngineGapsOptions): EngineGaps {
  const timer = options.timer ?? realTimer;
  /** The waiting gaps of each topic: separate intervals (the up-time between two times alone is not one of them). */
  const waiting = new Map<string, Waiting[]>();
  let paused = false;
  let stopping = false;
  /** How many times the engine went away: a judgement that failed across a change was cut short by it. */
  let generation = 0;
  /** Judgements under way (their reads not settled yet): the stop waits for them too. */
  const judging = new Set<Promise<void>>();

  const remove = (entry: Waiting) => {
    const entries = waiting.get(entry.topic.id)?.filter((other) => other !== entry) ?? [];
    if (entries.length > 0) waiting.set(entry.topic.id, entries);
    else waiting.delete(entry.topic.id);
  };

  const arm = (entry: Waiting) => {
    entry.timer?.clear();
    entry.timer = paused ? undefined : timer(() => void judge(entry), options.waitMs);
  };

  /** Adds `since`..`until` to the topic's waiting gaps, merged with those it overlaps; its wait starts again. */
  const add = (topic: ClusterTopic, since: number, until: number, failures = 0) => {
    const entries = waiting.get(topic.id) ?? [];
    const merged = entries.filter((entry) => overlap(entry.gap, since, until));
    for (const entry of merged) entry.timer?.clear();
    const gap: GapMarker = {
      since: Math.min(since, ...merged.map((entry) => entry.gap.since)),
      until: Math.max(until, ...merged.map((entry) => entry.gap.until)),
      reason: 'ENGINE',
    };
    const entry: Waiting = { topic, gap, timer: undefined, failures: Math.max(failures, ...merged.map((other) => other.failures)) };
    waiting.set(topic.id, [...entries.filter((other) => !merged.includes(other)), entry]);
    arm(entry);
  };

  const judge = (entry: Waiting): Promise<void> => {
    entry.timer?.clear();
    remove(entry);
    const { topic, gap } = entry;
    const started = generation;
    const judgement = options.report(topic, gap).then(
      (outcome) => options.onJudged(topic, gap, outcome, { early: false }),
      (error: unknown) => {
        // The engine went away mid-judgement (it may be back already): the gap waits again, for after the next return.
        // With the engine up all along (a 503 or a timeout it did not see as a disconnect), up to ENGINE_GAP_JUDGE_TRIES.
        const away = paused || generation !== started;
        const failures = away ? entry.failures : entry.failures + 1;
        if (!stopping && (away || failures < ENGINE_GAP_JUDGE_TRIES)) {
          add(topic, gap.since, gap.until, failures);
          options.onWaitAgain?.(topic, gap, error);
        } else options.onJudged(topic, gap, 'failed', { early: false, error });
      },
    );
    judging.add(judgement);
    const settled = () => void judging.delete(judgement);
    void judgement.then(settled, settled);
    return judgement;
  };

  return {
    defer(topic, since, until) {
      add(topic, since, until);
    },
    heard(topicId, message) {
      for (const entry of waiting.get(topicId) ?? []) {
        const outcome = shows(message, entry.gap);
        if (outcome === undefined) continue;
        entry.timer?.clear();
        remove(entry);
        options.onJudged(entry.topic, entry.gap, outcome, { early: true });
      }
    },
    pause() {
      paused = true;
      generation += 1;
      for (const entries of waiting.values()) for (const entry of entries) arm(entry);
    },
    resume() {
      paused = false;
      for (const entries of waiting.values()) for (const entry of entries) if (entry.timer === undefined) arm(entry);
    },
    async flush() {
      stopping = true;
      // Judgements a wait's end started just before (they would report after the stop) and every waiting gap's.
      const all = [...judging, ...[...waiting.values()].flat().map(judge)];
      let bound: { clear(): void } | undefined;
      const late = new Promise<void>((resolve) => (bound = timer(resolve, ENGINE_GAP_FLUSH_MS)));
      await Promise.race([Promise.all(all), late]);
      bound?.clear();
    },
  };
}
