/**
 * What this replica did not take from the engine (`message-check.ts`), since
 * start, by reason: counted for `status.cluster.badMessages` and
 * `coincall_gateway_cluster_bad_messages_total{reason}`, and logged with the
 * topic and sequence. A writer can store bad messages as fast as the engine
 * takes them, and every read across one (a resume, a Query page) meets it
 * again, so the log is rate-limited per reason: the first at once, then at
 * most one line per BAD_MESSAGE_LOG_INTERVAL_MS saying how many it stood for.
 */
import type { Logger } from '../../lib/logger.ts';
import type { BadMessage, BadMessageReason, ReportBadMessage } from './message-check.ts';

/** At most one log line per reason this often; the ones between are counted in it (`suppressed`). */
export const BAD_MESSAGE_LOG_INTERVAL_MS = 10_000;

/** The log line of an engine message (or part of one) not taken. */
export const BAD_MESSAGE_LOG = 'cluster: engine message not taken (left out, the rest goes on)';

export type BadMessageCounts = Readonly<Record<BadMessageReason, number>>;

export interface BadMessages {
  readonly report: ReportBadMessage;
  /** A copy of the counts now. */
  snapshot(): BadMessageCounts;
}

const zero = (): Record<BadMessageReason, number> => ({ not_envelope: 0, bad_item: 0, bad_gap: 0, failed: 0 });

export function createBadMessages(logger: Logger, now: () => number = Date.now): BadMessages {
  const counts = zero();
  const loggedAt = new Map<BadMessageReason, number>();
  const suppressed = zero();
  const log = (bad: BadMessage) => {
    const at = now();
    const last = loggedAt.get(bad.reason);
    if (last !== undefined && at - last < BAD_MESSAGE_LOG_INTERVAL_MS) return void suppressed[bad.reason]++;
    loggedAt.set(bad.reason, at);
    const line = { ...bad, suppressed: suppressed[bad.reason] };
    suppressed[bad.reason] = 0;
    // A hand-off that threw after the check passed it is a bug of this process, not a writer's.
    if (bad.reason === 'failed') logger.error(line, BAD_MESSAGE_LOG);
    else logger.warn(line, BAD_MESSAGE_LOG);
  };
  return {
    report(bad) {
      counts[bad.reason]++;
      log(bad);
    },
    snapshot: () => ({ ...counts }),
  };
}
