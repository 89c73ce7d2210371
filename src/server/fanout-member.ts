/**
 * One member of a shared subscription group (`fanout.ts`): where its messages
 * go, what its socket still holds back (`backlog.ts`), and the iterator
 * graphql-ws gets for it, which yields nothing (the group writes every
 * message) and ends once the member is finished, so that graphql-ws's
 * `complete` follows the member's last message.
 */
import type { ExecutionResult } from 'graphql';
import type { Backlog, Outgoing } from './backlog.ts';
import type { LiveGroup, Member } from './fanout.ts';

/** What a member stream needs of its fan-out. */
export interface Leaving {
  leave(group: Group, state: MemberState): void;
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
  wake: (() => void) | undefined = undefined;

  constructor(member: Member, group: Group, fanout: Leaving) {
    this.member = member;
    this.head = `{"id":${JSON.stringify(member.id)},"type":"next","payload":`;
    this.group = group;
    this.fanout = fanout;
  }

  async next(): Promise<IteratorResult<ExecutionResult, undefined>> {
    while (!this.finished) {
      await new Promise<void>((resolve) => {
        this.wake = resolve;
      });
      this.wake = undefined;
    }
    return { value: undefined, done: true };
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
  /** The subscription's root field (the latency metric's label). */
  readonly field: string;
  readonly members: Set<MemberState>;
  source: AsyncIterator<ExecutionResult> | undefined;
  /** The latest result of a state group, for a member that joins later. */
  last: Outgoing | undefined;
  readonly started: Promise<ExecutionResult | AsyncIterable<ExecutionResult>>;
  closed: boolean;
}
