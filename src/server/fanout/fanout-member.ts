/**
 * One member of a shared subscription group (`fanout.ts`): where its messages
 * go, what its socket still holds back (`backlog.ts`), and the iterator
 * graphql-ws gets for it, which yields nothing (the group writes every
 * message) and ends once the member is finished, so that graphql-ws's
 * `complete` follows the member's last message.
 */
import type { ExecutionResult } from 'graphql';
import type { Backlog, Outgoing } from './backlog.ts';
import type { LiveGroup, Member } from './fanout-types.ts';

/** What a member stream needs of its fan-out. */
export interface Leaving {
  leave(group: Group, state: MemberState): void;
}

const DONE: IteratorResult<ExecutionResult, undefined> = { value: undefined, done: true };

/** Message heads kept for the ids clients use most ("1", "2"...), so that members of those ids share one string. */
const SHARED_HEADS_MAX = 1_000;
const heads = new Map<string, string>();

/** `{"id":"<id>","type":"next","payload":`, one string per common id. */
function headOf(id: string): string {
  let head = heads.get(id);
  if (head === undefined) {
    head = `{"id":${JSON.stringify(id)},"type":"next","payload":`;
    if (heads.size < SHARED_HEADS_MAX) heads.set(id, head);
  }
  return head;
}

/**
 * One member of a group, and graphql-ws's iterator for it: it yields nothing
 * (the group writes every message) and ends once the member is finished. A
 * class, so that its methods exist once and an idle member costs only its fields.
 */
export class MemberState implements AsyncIterableIterator<ExecutionResult, undefined> {
  readonly member: Member;
  /** `{"id":"<id>","type":"next","payload":` */
  readonly head: string;
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
    this.head = headOf(member.id);
    this.group = group;
    this.fanout = fanout;
  }

  /** graphql-ws's one `next()` call for the member's life: one plain promise, settled once it is finished (no async frame kept alive). */
  next(): Promise<IteratorResult<ExecutionResult, undefined>> {
    if (this.finished) return Promise.resolve(DONE);
    return (this.pending ??= new Promise((resolve) => {
      this.settle = resolve;
    }));
  }

  /** The member is done (the fan-out let it go): its stream ends, and graphql-ws sends `complete`. */
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
