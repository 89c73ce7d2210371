/**
 * One member of a shared subscription group (`fanout.ts`): where its messages
 * go (a sink and its framing), what its sink still holds back
 * (`backlog.ts`), and the iterator its transport gets for it, which yields
 * nothing (the group writes every message) and ends once the member is
 * finished, so that the transport's end (graphql-ws's `complete`, SSE's
 * `complete` event, multipart's closing delimiter) follows the member's last
 * message.
 */
import type { ExecutionResult } from 'graphql';
import type { Backlog, Outgoing } from './backlog.ts';
import type { LiveGroup, Member } from './fanout-types.ts';

/** What a member stream needs of its fan-out. */
export interface Leaving {
  leave(group: Group, state: MemberState): void;
}

const DONE: IteratorResult<ExecutionResult, undefined> = { value: undefined, done: true };

/**
 * One member of a group, and its transport's iterator for it: it yields nothing
 * (the group writes every message) and ends once the member is finished. A
 * class, so that its methods exist once and an idle member costs only its fields.
 */
export class MemberState implements AsyncIterableIterator<ExecutionResult, undefined> {
  readonly member: Member;
  readonly group: Group;
  private readonly fanout: Leaving;
  /** Messages held while the socket is backed up; created on the first one. */
  backlog: Backlog | undefined = undefined;
  retry: NodeJS.Timeout | undefined = undefined;
  /** The group ended: finish once the backlog is out. */
  ending = false;
  finished = false;
  /** The pending `next()`, and what settles it. */
  private pending: Promise<IteratorResult<ExecutionResult, undefined>> | undefined = undefined;
  private settle: ((result: IteratorResult<ExecutionResult, undefined>) => void) | undefined = undefined;

  constructor(member: Member, group: Group, fanout: Leaving) {
    this.member = member;
    this.group = group;
    this.fanout = fanout;
  }

  /** The transport's one `next()` call for the member's life: one plain promise, settled once it is finished (no async frame kept alive). */
  next(): Promise<IteratorResult<ExecutionResult, undefined>> {
    if (this.finished) return Promise.resolve(DONE);
    return (this.pending ??= new Promise((resolve) => {
      this.settle = resolve;
    }));
  }

  /** The member is done (the fan-out let it go): its stream ends, and the transport ends it in its own way. */
  finish(): void {
    this.finished = true;
    this.settle?.(DONE);
    this.settle = undefined;
  }

  async return(): Promise<IteratorResult<ExecutionResult, undefined>> {
    this.fanout.leave(this.group, this);
    return { value: undefined, done: true };
  }

  [Symbol.asyncIterator](): this {
    return this;
  }
}

export interface Group extends LiveGroup {
  /** Observes a write's delivery latency, for the group's root field (none without metrics). */
  readonly observeLatency: ((frameTs: number) => void) | undefined;
  readonly members: Set<MemberState>;
  source: AsyncIterator<ExecutionResult> | undefined;
  /** The latest result of a state group, for a member that joins later. */
  last: Outgoing | undefined;
  readonly started: Promise<ExecutionResult | AsyncIterable<ExecutionResult>>;
  closed: boolean;
}
