/**
 * The in-band end of a key's HTTP stream, alone: a pending `next()` is
 * answered with the `UNAUTHENTICATED` last result at once (not left to a
 * source that may never yield again), the source is let go, and the stream
 * is done after; an end before the first `next()` still gives the last
 * result first; the stream's own end (or `return()`) needs no last result.
 */
import type { ExecutionResult } from 'graphql';
import { describe, expect, it, vi } from 'vitest';
import { KEY_REVOKED, TOKEN_EXPIRED } from '../src/server/access/access-control.ts';
import { EndableStream, KEY_REVOKED_MESSAGE, StreamEnding, TOKEN_EXPIRED_MESSAGE } from '../src/server/access/stream-ending.ts';

/** A source that yields only what the test pushes, and records its `return()`. */
function silentSource() {
  let pending: ((step: IteratorResult<ExecutionResult>) => void) | undefined;
  const returned = vi.fn();
  const source: AsyncIterator<ExecutionResult> = {
    next: () => new Promise((resolve) => (pending = resolve)),
    return: () => {
      returned();
      pending?.({ value: undefined, done: true });
      return Promise.resolve({ value: undefined, done: true });
    },
  };
  return { source, returned, push: (value: ExecutionResult) => pending?.({ value, done: false }) };
}

const lastResult = (message: string) => ({
  value: { errors: [expect.objectContaining({ message, extensions: { code: 'UNAUTHENTICATED' } })] },
  done: false,
});

describe('EndableStream', () => {
  it('answers a pending next() with the last result when the key is revoked, lets the source go, then is done', async () => {
    const { source, returned, push } = silentSource();
    const ending = new StreamEnding();
    const stream = new EndableStream(source, ending);
    const first = stream.next();
    push({ data: { n: 1 } });
    expect(await first).toEqual({ value: { data: { n: 1 } }, done: false });
    const pending = stream.next();
    ending.end(KEY_REVOKED);
    expect(await pending).toEqual(lastResult(KEY_REVOKED_MESSAGE));
    expect(returned).toHaveBeenCalledTimes(1);
    expect(await stream.next()).toEqual({ value: undefined, done: true });
    ending.end(TOKEN_EXPIRED);
    expect(await stream.next()).toEqual({ value: undefined, done: true });
  });

  it('gives the last result first when the end came before the first next()', async () => {
    const { source, returned } = silentSource();
    const ending = new StreamEnding();
    ending.end(TOKEN_EXPIRED);
    const stream = new EndableStream(source, ending);
    expect(returned).toHaveBeenCalledTimes(1);
    expect(await stream.next()).toEqual(lastResult(TOKEN_EXPIRED_MESSAGE));
    expect(await stream.next()).toEqual({ value: undefined, done: true });
  });

  it('ends without a last result when the client leaves first (return) or the source ends', async () => {
    const left = silentSource();
    const ending = new StreamEnding();
    const stream = new EndableStream(left.source, ending);
    const pending = stream.next();
    await stream.return();
    expect(await pending).toEqual({ value: undefined, done: true });
    expect(left.returned).toHaveBeenCalledTimes(1);
    ending.end(KEY_REVOKED);
    expect(await stream.next()).toEqual({ value: undefined, done: true });
    expect(left.returned).toHaveBeenCalledTimes(1);
  });
});
