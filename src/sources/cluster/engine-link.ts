/**
 * The replica's link to the engine: opens it (retrying until it answers, so a
 * replica started while NATS is down serves on its own and joins later), then
 * follows the connection's state. `up` is false from a disconnect until the
 * client library has reconnected; every change is said once through
 * `onChange`. The engine itself (streams, bucket) is kept across reconnects;
 * on each reconnect the trades stream's epoch is read again before the link
 * says it is up (the stream may have been created again meanwhile: its old
 * epoch would pass old cursors as current, `stream-window.ts`). A failed
 * re-read is said (warn) and the link still comes up: a read that finds a
 * cursor past the stream's end reads it again (`stream-window.ts`). The
 * upkeep's repairs (`engine-upkeep.ts`) are logged (a stream created again at
 * warn; one that cannot be, at error, once per streak) and counted for the
 * metrics (`engine-repairs.ts`, `repairs()`).
 */
import type { Logger } from '../../lib/logger.ts';
import { errorText } from '../../lib/errors.ts';
import { openEngine, type Engine, type EngineSettings } from './engine.ts';
import { createEngineOpenLog } from './engine-open-log.ts';
import { createEngineRepairs, type EngineRepairCounts } from './engine-repairs.ts';

/** How long to wait between attempts to open an engine that did not answer at start. */
export const ENGINE_OPEN_RETRY_MS = 2_000;

export interface EngineLink {
  /** The engine once opened (it stays the same object across reconnects). */
  readonly engine: Engine | undefined;
  /** Opened and connected now. */
  readonly up: boolean;
  /** The upkeep's repairs since start, by stream and outcome. */
  repairs(): EngineRepairCounts;
  close(): Promise<void>;
}

export interface EngineLinkOptions {
  readonly settings: EngineSettings;
  readonly logger: Logger;
  readonly retryMs?: number;
  /** Called with `up` on each change (first with true once the engine is opened). */
  readonly onChange: (up: boolean) => void;
  /** Opens the engine (tests inject failures); default `openEngine`. */
  readonly open?: (settings: EngineSettings) => Promise<Engine>;
  /** The clock of the failed attempts' log (`engine-open-log.ts`). */
  readonly now?: () => number;
}

export function linkEngine(options: EngineLinkOptions): EngineLink {
  const { logger } = options;
  const open = options.open ?? openEngine;
  let engine: Engine | undefined;
  let up = false;
  let closed = false;
  let timer: NodeJS.Timeout | undefined;
  const openLog = createEngineOpenLog(logger, options.now);
  const repairs = createEngineRepairs(options.settings.names);

  const set = (next: boolean) => {
    if (next === up || closed) return;
    up = next;
    logger[next ? 'info' : 'warn'](
      { engine: next ? 'CONNECTED' : 'DISCONNECTED' },
      next ? 'cluster engine connected' : 'cluster engine unreachable',
    );
    options.onChange(next);
  };

  /** The trades stream's epoch read again (after a reconnect); a failure is said, not thrown. */
  const refreshEpoch = async (opened: Engine) => {
    const before = opened.eventEpoch;
    try {
      const now = await opened.refreshEpoch();
      if (now !== before) logger.warn({ before, now }, 'cluster trades stream was created again: a new epoch (old cursors expire)');
    } catch (error) {
      logger.warn({ err: error instanceof Error ? error.message : String(error) }, 'cluster trades stream epoch not re-read');
    }
  };

  const follow = async (opened: Engine) => {
    for await (const status of opened.nc.status()) {
      if (status.type === 'disconnect') set(false);
      else if (status.type === 'reconnect') {
        await refreshEpoch(opened);
        set(true);
      }
    }
  };

  const attempt = async () => {
    try {
      const opened = await open({
        ...options.settings,
        onRepaired: (streams) => {
          for (const stream of streams) repairs.count(stream, 'created_again');
          logger.warn({ streams }, 'cluster engine: a stream or the lease bucket was gone (deleted?); created again');
        },
        onRepairFailed: (stream, error, rounds) => {
          repairs.count(stream, 'failed');
          if (rounds > 1) return;
          logger.error(
            { stream, err: errorText(error) },
            'cluster engine: a stream or the lease bucket is gone and could not be created again',
          );
        },
      });
      if (closed) return void (await opened.close());
      engine = opened;
      void follow(opened).catch(() => undefined);
      void opened.nc.closed().then(() => set(false));
      set(true);
    } catch (error) {
      if (closed) return;
      openLog.failed(error);
      timer = setTimeout(() => void attempt(), options.retryMs ?? ENGINE_OPEN_RETRY_MS);
    }
  };
  void attempt();

  return {
    get engine() {
      return engine;
    },
    get up() {
      return up;
    },
    repairs: () => repairs.snapshot(),
    close: async () => {
      closed = true;
      clearTimeout(timer);
      await engine?.close().catch(() => undefined);
    },
  };
}
