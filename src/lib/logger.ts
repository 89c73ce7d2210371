/**
 * The logging seam. Library code logs through this small interface; `app.ts`
 * hands in a pino logger (whose API is a superset) and tests hand in a capture.
 */

export interface Logger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
  child(bindings: Record<string, unknown>): Logger;
}

/** A logger that drops everything. */
export const silentLogger: Logger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  child: () => silentLogger,
};

/** Masks a key for logs and status: the first 4 characters, then an ellipsis. */
export function maskKey(key: string): string {
  return `${key.slice(0, 4)}…`;
}
