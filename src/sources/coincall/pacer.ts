/**
 * The request pacer of one upstream connection: a queue of outgoing requests
 * written under the exchange's per-connection budget.
 *
 * A token bucket (a small burst, then an even pace) decides when the next
 * request may go, so that no second, however aligned and whatever the
 * network's jitter, carries more than burst + rate requests. Each request's
 * `onWritten` runs when it reaches the socket. The queue lives as long as one
 * socket: `clear` drops it when the socket goes. `drain` runs a callback once
 * the queue is empty (shutdown's unsubscribes all go out, still paced).
 *
 * An `onWritten` may queue the next request at once (the request scheduler
 * keeps one request here and picks the next only when it is written): the
 * running flush picks it up, no nested flush starts.
 */
import { MAX_REQUESTS_PER_SECOND } from '../../coincall/protocol.ts';
import { createTokenBucket } from '../../lib/token-bucket.ts';

/** Requests per second we allow ourselves: the exchange's limit less headroom for heartbeats. */
export const REQUEST_BUDGET_PER_SECOND = MAX_REQUESTS_PER_SECOND - 10;
/** Requests sent back to back before pacing starts. */
export const PACING_BURST = 10;
/** Steady request rate; with the burst, any one second stays within REQUEST_BUDGET_PER_SECOND. */
const PACING_RATE_PER_SECOND = REQUEST_BUDGET_PER_SECOND - PACING_BURST;

export interface PacerOptions {
  readonly now: () => number;
  /** Whether a socket is open to write to. */
  readonly canWrite: () => boolean;
  /** Writes to the open socket. */
  readonly write: (text: string) => void;
}

export interface Pacer {
  /** Queues a request; it is written at once if the budget allows. */
  send(text: string, onWritten?: () => void): void;
  /** Runs `onEmpty` once every queued request is written. */
  drain(onEmpty: () => void): void;
  /** Drops the queued requests, the pending write and any drain callback. */
  clear(): void;
}

interface Request {
  readonly text: string;
  readonly onWritten: (() => void) | undefined;
}

export function createPacer(options: PacerOptions): Pacer {
  const { now, canWrite, write } = options;
  const bucket = createTokenBucket({ ratePerSecond: PACING_RATE_PER_SECOND, burst: PACING_BURST, now });
  const queue: Request[] = [];
  let timer: NodeJS.Timeout | undefined;
  let afterDrain: (() => void) | undefined;
  let flushing = false;

  const flush = () => {
    if (flushing) return;
    flushing = true;
    try {
      flushQueue();
    } finally {
      flushing = false;
    }
  };

  const flushQueue = () => {
    timer = undefined;
    while (queue.length > 0 && canWrite()) {
      if (!bucket.tryTake()) {
        timer = setTimeout(flush, bucket.waitMs());
        return;
      }
      const request = queue.shift() as Request;
      write(request.text);
      request.onWritten?.();
    }
    if (queue.length === 0 && afterDrain !== undefined) {
      const onEmpty = afterDrain;
      afterDrain = undefined;
      onEmpty();
    }
  };

  return {
    send(text, onWritten) {
      queue.push({ text, onWritten });
      if (timer === undefined) flush();
    },
    drain(onEmpty) {
      afterDrain = onEmpty;
      if (timer === undefined) flush();
    },
    clear() {
      clearTimeout(timer);
      timer = undefined;
      queue.length = 0;
      afterDrain = undefined;
    },
  };
}
