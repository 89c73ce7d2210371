/**
 * One socket's graphql-ws messages before graphql-ws's core sees them: a
 * look at each message's `type` and `id` (nothing else trusted), the types
 * only a server sends (a client sending one violates the protocol), and the
 * per-id ordering of a reused operation id (`IdOrdering`).
 */
/** Types only the server sends; graphql-ws's core throws (an internal error) when a client sends one. */
const SERVER_ONLY_TYPES: ReadonlySet<unknown> = new Set(['connection_ack', 'next', 'error']);

/** The `type` and `id` of a message, without trusting anything else in it; undefined when it is not a JSON object. */
export function peekMessage(text: string): { readonly type: unknown; readonly id: unknown } | undefined {
  let message: unknown;
  try {
    message = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof message !== 'object' || message === null || Array.isArray(message)) return undefined;
  const { type, id } = message as { type?: unknown; id?: unknown };
  return { type, id };
}

/** A message of a type only the server sends (`next`, `connection_ack`...): a protocol violation. */
export function isServerOnlyType(type: unknown): type is string {
  return SERVER_ONLY_TYPES.has(type);
}

interface IdState {
  /** The client sent `complete` for the running operation: it is winding down. */
  completed: boolean;
  /** A `subscribe` that reused the id while the previous operation wound down; it starts once that one has ended. */
  queued: { readonly text: string; cancelled: boolean } | undefined;
}

/** Where an `IdOrdering` hands messages and reports failures. */
export interface IdOrderingHost {
  isOpen(): boolean;
  failed(error: unknown): void;
  /** The number of operations running changed (optional). */
  running?(count: number): void;
}

/**
 * Orders one socket's messages per operation id. graphql-ws (6.x) forgets an
 * id only when the operation's handler ends; a client that sends `complete`
 * and at once `subscribe` with the same id would otherwise start the new
 * operation before the old handler's clean-up runs, and that clean-up would
 * then unregister the new one: an orphan that no `complete` nor socket close
 * can stop. Here a reused id waits until its previous operation has ended (a
 * `complete` for it meanwhile cancels it), a `subscribe` for an id that is
 * still live goes through (graphql-ws closes with 4409), and a `subscribe`
 * for an id that already has one waiting is reported as `duplicate`. A
 * waiting `subscribe` is dropped when the socket has closed by its turn.
 * Every other message is handed over at once, in order.
 */
export class IdOrdering {
  private readonly handle: (text: string) => Promise<void>;
  private readonly host: IdOrderingHost;
  // The ids with an operation: the first in two fields (most sockets run one), any more in a map made when needed.
  private soleId: string | undefined = undefined;
  private sole: IdState | undefined = undefined;
  private more: Map<string, IdState> | undefined = undefined;

  constructor(handle: (text: string) => Promise<void>, host: IdOrderingHost) {
    this.handle = handle;
    this.host = host;
  }

  dispatch(text: string, peeked: ReturnType<typeof peekMessage>): 'handled' | 'duplicate' {
    if (peeked === undefined || (peeked.type !== 'subscribe' && peeked.type !== 'complete') || typeof peeked.id !== 'string') {
      this.run(text);
      return 'handled';
    }
    const id = peeked.id;
    const state = this.stateOf(id);
    if (peeked.type === 'subscribe') {
      if (state === undefined) this.start(id, text);
      else if (!state.completed) this.run(text);
      else if (state.queued !== undefined && !state.queued.cancelled) return 'duplicate';
      else state.queued = { text, cancelled: false };
      return 'handled';
    }
    if (state?.queued !== undefined && !state.queued.cancelled) state.queued.cancelled = true;
    else {
      if (state !== undefined) state.completed = true;
      this.run(text);
    }
    return 'handled';
  }

  private stateOf(id: string): IdState | undefined {
    return id === this.soleId ? this.sole : this.more?.get(id);
  }

  /** How many ids have an operation. */
  private running(): number {
    return (this.soleId === undefined ? 0 : 1) + (this.more?.size ?? 0);
  }

  private run(text: string): Promise<void> {
    return this.handle(text).catch((error: unknown) => this.host.failed(error));
  }

  private start(id: string, text: string): void {
    const state: IdState = { completed: false, queued: undefined };
    if (this.soleId === undefined || this.soleId === id) {
      this.soleId = id;
      this.sole = state;
    } else (this.more ??= new Map()).set(id, state);
    this.host.running?.(this.running());
    // One reaction pair for the operation's life (a `.catch().finally()` chain keeps more alive per subscription).
    this.handle(text).then(
      () => this.ended(id, state),
      (error: unknown) => {
        this.host.failed(error);
        this.ended(id, state);
      },
    );
  }

  private ended(id: string, state: IdState): void {
    if (this.stateOf(id) === state) {
      if (id === this.soleId) {
        this.soleId = undefined;
        this.sole = undefined;
      } else {
        this.more?.delete(id);
        if (this.more?.size === 0) this.more = undefined;
      }
    }
    this.host.running?.(this.running());
    const next = state.queued;
    // A socket that closed in the meantime has no one left to serve.
    if (next !== undefined && !next.cancelled && this.host.isOpen()) this.start(id, next.text);
  }
}
