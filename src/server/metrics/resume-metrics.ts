/**
 * The resume metrics (api-contract.md, "Metrics added (third milestone)"):
 * `coincall_gateway_resumes_total{result}`, subscriptions with `after` by
 * outcome: `replayed` (the cursor was in the window), `expired` (it was past
 * it: `CURSOR_EXPIRED` first), `refused` (not a cursor of that topic:
 * `BAD_USER_INPUT`, queries included). Read at scrape time from the
 * upstream's plain counters.
 */
import { Counter, type Registry } from 'prom-client';
import type { UpstreamStatus } from '../../sources/coincall/coincall-source.ts';

/** The `result` label's values, all always present (0 until counted). */
export const RESUME_RESULTS = ['replayed', 'expired', 'refused'] as const;

/** Registers the family on `registry`; `upstream` is read at each scrape (undefined before the server binds it). */
export function registerResumeMetrics(registry: Registry, upstream: () => UpstreamStatus | undefined): void {
  new Counter({
    name: 'coincall_gateway_resumes_total',
    help: 'Subscriptions and queries with `after`, by result: replayed (the cursor was retained), expired (CURSOR_EXPIRED), refused (BAD_USER_INPUT).',
    labelNames: ['result'],
    registers: [registry],
    collect() {
      this.reset();
      const counts = upstream()?.resumes;
      for (const result of RESUME_RESULTS) this.inc({ result }, counts?.[result] ?? 0);
    },
  });
}
