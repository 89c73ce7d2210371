/**
 * A timer that fires at an instant however far away it is: Node's
 * `setTimeout` takes at most 2^31 - 1 ms (about 24.8 days) and fires at once
 * past it, so a later deadline (a JWT valid for a month) is reached in hops
 * of at most that. The timer never keeps the process alive.
 */

/** The longest delay `setTimeout` honours. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

export interface DeadlineTimer {
  clear(): void;
}

/** Calls `fire` once `now()` reaches `deadline` (epoch ms; at once if it has passed). */
export function atDeadline(deadline: number, fire: () => void, now: () => number = Date.now): DeadlineTimer {
  let timer: NodeJS.Timeout | undefined;
  const arm = () => {
    const left = deadline - now();
    timer = setTimeout(left > MAX_TIMER_MS ? arm : fire, Math.min(Math.max(0, left), MAX_TIMER_MS));
    timer.unref();
  };
  arm();
  return { clear: () => clearTimeout(timer) };
}
