/**
 * The engine's structures kept in place while this replica is connected: every
 * `ENGINE_UPKEEP_MS` the two streams and the lease bucket are looked up, and
 * one that is gone (deleted by hand, a store lost) is created again at once
 * with this replica's configuration, then said (`onRepaired`; one it cannot
 * create again is said at each round it fails, `onRepairFailed`, with the
 * rounds it failed in a row: the link logs the first and counts every one,
 * `engine-repairs.ts`). Without it, a
 * deleted stream or bucket stopped its topics on every replica, silently,
 * until one restarted. A look-up that fails otherwise (the engine away) waits
 * for the next round: the link's reconnect is in charge of that.
 */
import { JetStreamApiError } from '@nats-io/jetstream';

/** How often the streams and the bucket are looked up. */
export const ENGINE_UPKEEP_MS = 2_000;

/** The engine's code for "stream not found". */
const STREAM_NOT_FOUND = 10059;

export interface UpkeepOptions {
  /** Looks a stream up (the engine's manager). */
  readonly jsm: { readonly streams: { info(stream: string): Promise<unknown> } };
  /** The streams to keep, each with what creates it again (the bucket is the stream `KV_<bucket>`). */
  readonly keep: ReadonlyArray<{ readonly stream: string; readonly ensure: () => Promise<void> }>;
  /** Streams found gone and created again this round. */
  readonly onRepaired?: (streams: readonly string[]) => void;
  /** A stream found gone could not be created again (no permission, a conflicting configuration): said at each round it fails, `rounds` the failing rounds in a row (1: the first). */
  readonly onRepairFailed?: (stream: string, error: unknown, rounds: number) => void;
  readonly everyMs?: number;
}

export interface Upkeep {
  /** One round now (tests); resolves to the streams created again. */
  round(): Promise<string[]>;
  stop(): void;
}

const isGone = (error: unknown) =>
  error instanceof JetStreamApiError ? error.code === STREAM_NOT_FOUND : error instanceof Error && /stream not found/i.test(error.message);

export function startUpkeep(options: UpkeepOptions): Upkeep {
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  let running: Promise<string[]> | undefined;

  /** Streams whose re-creation failed, with the rounds it failed in a row (gone once it succeeds or the stream is found). */
  const failing = new Map<string, number>();

  const look = async (): Promise<string[]> => {
    const repaired: string[] = [];
    for (const { stream, ensure } of options.keep) {
      if (stopped) break;
      try {
        await options.jsm.streams.info(stream);
        failing.delete(stream);
      } catch (error) {
        if (!isGone(error)) continue;
        try {
          await ensure();
          repaired.push(stream);
          failing.delete(stream);
        } catch (failure) {
          const rounds = (failing.get(stream) ?? 0) + 1;
          failing.set(stream, rounds);
          options.onRepairFailed?.(stream, failure, rounds);
        }
      }
    }
    if (repaired.length > 0) options.onRepaired?.(repaired);
    return repaired;
  };

  const round = (): Promise<string[]> => {
    running ??= look()
      .catch(() => [])
      .finally(() => (running = undefined));
    return running;
  };

  const schedule = () => {
    if (stopped) return;
    timer = setTimeout(() => void round().finally(schedule), options.everyMs ?? ENGINE_UPKEEP_MS);
    timer.unref();
  };
  schedule();

  return {
    round,
    stop: () => {
      stopped = true;
      clearTimeout(timer);
    },
  };
}
