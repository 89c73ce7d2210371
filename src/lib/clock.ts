/** The clock seam: wall time and timers, injectable for tests. */

export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };
