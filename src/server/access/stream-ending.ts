/**
 * How a key's SSE or multipart subscription ends when its key is revoked,
 * narrowed (a scope or room taken away) or its token expires: in band
 * rather than cut. The subscription's stream
 * (`EndableStream`, around what `subscribe` gave) lets its source go and
 * yields one last result, an `UNAUTHENTICATED` error saying why (SSE writes
 * it as a last `next` event, multipart as a last `{"payload":{"errors":
 * [...]}}` part), then ends, and the transport writes its own end. A
 * response that has not ended `STREAM_END_GRACE_MS` later (a client that
 * stopped reading) is cut (`http-access.ts`).
 */
import type { ExecutionResult, GraphQLError } from 'graphql';
import { asGraphQLError, unauthenticated } from '../../lib/errors.ts';
import { KEY_CHANGED, KEY_REVOKED, TOKEN_EXPIRED } from './access-control.ts';

/** How long an ended stream's response may take to deliver its last word before it is cut. */
export const STREAM_END_GRACE_MS = 2_000;

export const KEY_REVOKED_MESSAGE =
  "The gateway key of this subscription was revoked (it left the gateway's keys file): the subscription has ended.";
export const TOKEN_EXPIRED_MESSAGE =
  'The token of this subscription has expired: the subscription has ended. Subscribe again with a fresh token.';

export const KEY_CHANGED_MESSAGE =
  "The gateway key of this subscription changed in the gateway's keys file (a scope or a limit was taken away): the subscription has ended. Subscribe again: the key's new scopes and limits apply.";

/** The message of each reason a stream is ended for. */
const MESSAGES: Readonly<Record<string, string>> = {
  [KEY_REVOKED]: KEY_REVOKED_MESSAGE,
  [KEY_CHANGED]: KEY_CHANGED_MESSAGE,
  [TOKEN_EXPIRED]: TOKEN_EXPIRED_MESSAGE,
};

/** The in-band error of a stream ended for `reason` (KEY_REVOKED, KEY_CHANGED or TOKEN_EXPIRED; anything else is taken for a revocation). */
export function streamEndedError(reason: string): GraphQLError {
  return asGraphQLError(unauthenticated(MESSAGES[reason] ?? KEY_REVOKED_MESSAGE));
}

/** The end of one stream, which may come before its subscription has started. */
export class StreamEnding {
  private error: GraphQLError | undefined = undefined;
  private listener: ((error: GraphQLError) => void) | undefined = undefined;

  get ended(): boolean {
    return this.error !== undefined;
  }

  /** Ends the stream (once; later calls change nothing). */
  end(reason: string): void {
    if (this.error !== undefined) return;
    this.error = streamEndedError(reason);
    this.listener?.(this.error);
  }

  /** Calls `listener` when the stream ends (at once if it has). */
  onEnd(listener: (error: GraphQLError) => void): void {
    if (this.error !== undefined) listener(this.error);
    else this.listener = listener;
  }
}

const DONE: IteratorResult<ExecutionResult, void> = { value: undefined, done: true };

interface Waiting {
  readonly resolve: (step: IteratorResult<ExecutionResult, void>) => void;
  readonly reject: (error: unknown) => void;
}

/** The last result of an ended stream. */
const lastWord = (error: GraphQLError): IteratorResult<ExecutionResult, void> => ({ value: { errors: [error] }, done: false });

/**
 * A subscription's results until its stream ends: then its source goes at
 * once (a pending `next()` is answered with the last result, not left to the
 * source), and the stream is done after the last result. A class, not an async
 * generator: `return()` must not wait behind a pending `next()`.
 */
export class EndableStream implements AsyncGenerator<ExecutionResult, void, void> {
  private readonly source: AsyncIterator<ExecutionResult>;
  private waiting: Waiting | undefined = undefined;
  /** The ending's error, until it is given out. */
  private pendingEnd: GraphQLError | undefined = undefined;
  private closed = false;

  constructor(source: AsyncIterator<ExecutionResult>, ending: StreamEnding) {
    this.source = source;
    ending.onEnd((error) => this.end(error));
  }

  private end(error: GraphQLError): void {
    if (this.closed) return;
    this.closed = true;
    void Promise.resolve(this.source.return?.()).catch(() => undefined);
    const waiting = this.waiting;
    this.waiting = undefined;
    if (waiting === undefined) this.pendingEnd = error;
    else waiting.resolve(lastWord(error));
  }

  next(): Promise<IteratorResult<ExecutionResult, void>> {
    const ended = this.pendingEnd;
    if (ended !== undefined) {
      this.pendingEnd = undefined;
      return Promise.resolve(lastWord(ended));
    }
    if (this.closed) return Promise.resolve(DONE);
    return new Promise((resolve, reject) => {
      const waiting: Waiting = { resolve, reject };
      this.waiting = waiting;
      this.source.next().then(
        (step) => {
          if (this.waiting !== waiting) return;
          this.waiting = undefined;
          if (step.done === true) this.closed = true;
          resolve(step.done === true ? DONE : step);
        },
        (error: unknown) => {
          if (this.waiting !== waiting) return;
          this.waiting = undefined;
          this.closed = true;
          reject(error);
        },
      );
    });
  }

  async return(): Promise<IteratorResult<ExecutionResult, void>> {
    const wasClosed = this.closed;
    this.closed = true;
    this.pendingEnd = undefined;
    const waiting = this.waiting;
    this.waiting = undefined;
    waiting?.resolve(DONE);
    if (!wasClosed) await this.source.return?.();
    return DONE;
  }

  async throw(): Promise<IteratorResult<ExecutionResult, void>> {
    return this.return();
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.return();
  }
}
