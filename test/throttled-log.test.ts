/**
 * A warning repeated by a background round (a cluster replica's holdings round
 * failing every couple of seconds): said at once, then at most once a minute
 * with how many times it happened since. It used to be a debug line only, so
 * a round that kept failing with NATS up (the lease bucket not listed in time:
 * nothing released, upstream subscriptions kept) went unseen.
 */
import { describe, expect, it } from 'vitest';
import { throttledWarn, THROTTLED_LOG_EVERY_MS } from '../src/lib/throttled-log.ts';
import { captureLogs } from './helpers/gateway.ts';

describe('a throttled warning', () => {
  it('is said at once, then once per interval with the count since', () => {
    const logs = captureLogs();
    let now = 0;
    const failed = throttledWarn(logs.logger, 'round failed', { now: () => now });
    failed(new Error('timeout'));
    for (let i = 0; i < 29; i++) {
      now += 2_000;
      failed(new Error('timeout'));
    }
    expect(logs.lines.map((l) => ({ level: l.level, msg: l.msg, obj: l.obj }))).toEqual([
      { level: 'warn', msg: 'round failed', obj: { err: 'timeout', times: 1 } },
    ]);
    now += 2_000; // a minute since the first line
    failed(new Error('timeout'));
    expect(now).toBe(THROTTLED_LOG_EVERY_MS);
    expect(logs.lines.at(-1)).toEqual({ level: 'warn', msg: 'round failed', obj: { err: 'timeout', times: 30 } });
  });
});
