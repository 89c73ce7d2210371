/**
 * One row of the limits table (`limits.ts`, `upstream-limits.ts`): a limit's
 * environment variable, default, accepted range and meaning, the one place
 * each limit is described (config reads it, the docs tables are checked
 * against it).
 */

export interface LimitSetting {
  readonly env: string;
  readonly fallback: number;
  readonly min: number;
  readonly max: number;
  readonly meaning: string;
}
