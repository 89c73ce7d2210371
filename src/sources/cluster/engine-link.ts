/**
 * The replica's link to the engine: opens it (retrying until it answers, so a
 * replica started while NATS is down serves on its own and joins later), then
 * follows the connection's state. `up` is false from a disconnect until the
 * client library has reconnected; every change is said once through
 * `onChange`. The engine itself (streams, bucket) is kept across reconnects.
 */
import type { Logger } from '../../lib/logger.ts';
import { openEngine, type Engine, type EngineSettings } from './engine.ts';

/** How long to wait between attempts to open an engine that did not answer at start. */
export const ENGINE_OPEN_RETRY_MS = 2_000;

export interface EngineLink {
  /** The engine once opened (it stays the same object across reconnects). */
  readonly engine: Engine | undefined;
  /** Opened and connected now. */
  readonly up: boolean;
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
}

export function linkEngine(options: EngineLinkOptions): EngineLink {
  const { logger } = options;
  const open = options.open ?? openEngine;
  let engine: Engine | undefined;
  let up = false;
  let closed = false;
  let timer: NodeJS.Timeout | undefined;

  const set = (next: boolean) => {
    if (next === up || closed) return;
    up = next;
    logger[next ? 'info' : 'warn'](
      { engine: next ? 'CONNECTED' : 'DISCONNECTED' },
      next ? 'cluster engine connected' : 'cluster engine unreachable',
    );
    options.onChange(next);
  };

  const follow = async (opened: Engine) => {
    for await (const status of opened.nc.status()) {
      if (status.type === 'disconnect') set(false);
      else if (status.type === 'reconnect') set(true);
    }
  };

  const attempt = async () => {
    try {
      const opened = await open(options.settings);
      if (closed) return void (await opened.close());
      engine = opened;
      void follow(opened).catch(() => undefined);
      void opened.nc.closed().then(() => set(false));
      set(true);
    } catch (error) {
      if (closed) return;
      logger.warn(
        { err: error instanceof Error ? error.message : String(error) },
        'cluster engine not reachable yet; serving alone meanwhile',
      );
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
    close: async () => {
      closed = true;
      clearTimeout(timer);
      await engine?.close().catch(() => undefined);
    },
  };
}
