/**
 * The shared subscription path: one execution per (document, variables,
 * credential) group, one serialization per event, and per subscriber only an
 * id splice and a socket write.
 *
 * graphql-ws stays in charge of the protocol (init, subscribe, complete,
 * errors, close codes). For a grouped subscription it receives an iterator
 * that yields only what must go its way (results with errors, the end), while
 * the group writes each `next` message itself:
 * `{"id":<id>,"type":"next","payload":<payload>}` — byte for byte what
 * graphql-ws would have sent, serialized once for every member.
 *
 * Each socket's buffered amount is respected: a member whose socket is
 * backed up skips state updates (it gets the latest one once it drains) and
 * is closed with 1013 ("try again later") when an event stream would have to
 * be dropped. The fan-out owns its counters (`SharingStats`, shown by
 * `Query.status`) and tells shutdown when its last member has gone
 * (`drained()`).
 */
import type { DocumentNode, ExecutionArgs, ExecutionResult, OperationDefinitionNode } from 'graphql';
import { Kind } from 'graphql';
import type { WebSocket } from 'ws';
import { CLOSE_CODES } from '../lib/errors.ts';
import type { SharingStats } from '../lib/sharing-stats.ts';

/** Bytes a socket may have buffered before a state update is skipped for it. */
export const SLOW_SOCKET_STATE_BYTES = 256 * 1024;
/** Bytes a socket may have buffered before an event subscriber is closed as too slow. */
export const SLOW_SOCKET_EVENT_BYTES = 4 * 1024 * 1024;
/** How often a backed-up state member is checked, to send it the latest value once it drains. */
export const STALE_RETRY_MS = 50;

/**
 * How a group treats a slow member: `state` conflates (the latest value
 * wins), `event` closes it. Each subscription field declares its own in its
 * GraphQL `extensions.delivery`.
 */
export type Delivery = 'state' | 'event';

type Result = ExecutionResult | AsyncIterable<ExecutionResult>;
/** Runs one execution (graphql's subscribe through envelop). */
export type FanoutRun = (args: ExecutionArgs) => Result | Promise<Result>;

/** Where one subscription's messages go. */
export interface Member {
  readonly id: string;
  readonly socket: WebSocket;
}

/** The counters, as `Query.status` shows them. */
export type FanoutStats = SharingStats;

export interface Fanout {
  /**
   * Runs `run(args)` once per group and attaches `member`. `key` is the group
   * identity (undefined: not shareable, run alone); `delivery` how to treat a
   * slow member.
   */
  subscribe(args: ExecutionArgs, key: string | undefined, delivery: Delivery, member: Member, run: FanoutRun): Promise<Result>;
  /** The running group of `key` that a new member can join without executing anything. */
  live(key: string): LiveGroup | undefined;
  stats(): FanoutStats;
  /** Resolves once no member is left (at once if none is). */
  drained(): Promise<void>;
}

export interface LiveGroup {
  /** The group's key (one string shared by every member). */
  readonly key: string;
  readonly document: DocumentNode;
  readonly operationName: string | null | undefined;
  readonly delivery: Delivery;
}

/** What a member stream needs of its fan-out. */
interface Leaving {
  leave(group: Group, state: MemberState): void;
}

/**
 * One member of a group, and graphql-ws's iterator over what must go its way
 * through graphql-ws (results with errors, the end). A class, so that its
 * methods exist once and an idle member costs only its fields.
 */
class MemberState implements AsyncIterableIterator<ExecutionResult, undefined> {
  readonly member: Member;
  /** `{"id":"<id>","type":"next","payload":` */
  readonly head: string;
  readonly group: Group;
  private readonly fanout: Leaving;
  /** Results that go through graphql-ws (errors); created on the first one. */
  queue: ExecutionResult[] | undefined = undefined;
  wake: (() => void) | undefined = undefined;
  ended = false;
  /** The latest state payload a backed-up socket skipped, sent once it drains. */
  pending: string | undefined = undefined;
  retry: NodeJS.Timeout | undefined = undefined;

  constructor(member: Member, group: Group, fanout: Leaving) {
    this.member = member;
    this.head = `{"id":${JSON.stringify(member.id)},"type":"next","payload":`;
    this.group = group;
    this.fanout = fanout;
  }

  async next(): Promise<IteratorResult<ExecutionResult, undefined>> {
    for (;;) {
      const queued = this.queue?.shift();
      if (queued !== undefined) return { value: queued, done: false };
      if (this.ended) return { value: undefined, done: true };
      await new Promise<void>((resolve) => {
        this.wake = resolve;
      });
      this.wake = undefined;
    }
  }

  async return(): Promise<IteratorResult<ExecutionResult, undefined>> {
    this.fanout.leave(this.group, this);
    return { value: undefined, done: true };
  }

  [Symbol.asyncIterator](): this {
    return this;
  }
}

interface Group extends LiveGroup {
  readonly members: Set<MemberState>;
  source: AsyncIterator<ExecutionResult> | undefined;
  /** The latest serialized payload of a state group, for a member that joins later. */
  last: string | undefined;
  readonly started: Promise<Result>;
  closed: boolean;
}

/** The subscription root field of a document's operation (for its delivery policy). */
export function rootFieldOf(args: Pick<ExecutionArgs, 'document' | 'operationName'>): string | undefined {
  const operation = args.document.definitions.find(
    (d): d is OperationDefinitionNode =>
      d.kind === Kind.OPERATION_DEFINITION && (args.operationName == null || d.name?.value === args.operationName),
  );
  if (operation?.operation !== 'subscription') return undefined;
  const [first] = operation.selectionSet.selections;
  return first?.kind === Kind.FIELD ? first.name.value : undefined;
}

const isAsyncIterable = (value: unknown): value is AsyncIterable<ExecutionResult> =>
  typeof value === 'object' && value !== null && Symbol.asyncIterator in value;

export function createFanout(): Fanout {
  const groups = new Map<string, Group>();
  let executions = 0;
  let deliveries = 0;
  let conflated = 0;
  let tooSlow = 0;
  let members = 0;
  let drainWaiters: Array<() => void> = [];

  const memberLeft = () => {
    members--;
    if (members > 0 || drainWaiters.length === 0) return;
    const waiters = drainWaiters;
    drainWaiters = [];
    for (const resolve of waiters) resolve();
  };

  const endMember = (state: MemberState) => {
    if (state.ended) return;
    state.ended = true;
    clearTimeout(state.retry);
    state.wake?.();
  };

  const write = (group: Group, state: MemberState, payload: string) => {
    const socket = state.member.socket;
    if (socket.readyState !== socket.OPEN) return;
    const buffered = socket.bufferedAmount;
    if (group.delivery === 'state' && buffered > SLOW_SOCKET_STATE_BYTES) {
      conflated++;
      state.pending = payload;
      state.retry ??= setTimeout(() => {
        state.retry = undefined;
        const latest = state.pending;
        state.pending = undefined;
        if (latest !== undefined && !state.ended) write(group, state, latest);
      }, STALE_RETRY_MS);
      return;
    }
    state.pending = undefined;
    if (group.delivery === 'event' && buffered > SLOW_SOCKET_EVENT_BYTES) {
      tooSlow++;
      socket.close(CLOSE_CODES.TRY_AGAIN_LATER, 'subscriber too slow: resubscribe');
      return;
    }
    deliveries++;
    socket.send(state.head + payload + '}');
  };

  const leave = (group: Group, state: MemberState) => {
    if (!group.members.delete(state)) return;
    memberLeft();
    endMember(state);
    if (group.members.size === 0 && !group.closed) {
      group.closed = true;
      groups.delete(group.key);
      void group.source?.return?.();
    }
  };
  const leaving: Leaving = { leave };

  const pump = async (group: Group, iterable: AsyncIterable<ExecutionResult>) => {
    const source = iterable[Symbol.asyncIterator]();
    group.source = source;
    if (group.closed) {
      void source.return?.();
      return;
    }
    try {
      for (;;) {
        const step = await source.next();
        if (step.done === true) break;
        executions++;
        const result = step.value;
        if (result.errors !== undefined && result.errors.length > 0) {
          for (const state of group.members) {
            (state.queue ??= []).push(result);
            state.wake?.();
          }
          continue;
        }
        const payload = JSON.stringify(result);
        if (group.delivery === 'state') group.last = payload;
        for (const state of group.members) write(group, state, payload);
      }
    } finally {
      group.closed = true;
      if (groups.get(group.key) === group) groups.delete(group.key);
      for (const state of [...group.members]) {
        group.members.delete(state);
        memberLeft();
        endMember(state);
      }
    }
  };

  return {
    async subscribe(args, key, delivery, member, run) {
      if (key === undefined) return run(args);
      let group = groups.get(key);
      if (group === undefined || group.closed) {
        const created: Group = {
          key,
          delivery,
          document: args.document,
          operationName: args.operationName,
          members: new Set(),
          source: undefined,
          last: undefined,
          started: Promise.resolve(run(args)),
          closed: false,
        };
        groups.set(key, created);
        group = created;
        void created.started.then(
          (result) => {
            if (isAsyncIterable(result)) void pump(created, result);
            else if (groups.get(key) === created) groups.delete(key);
          },
          () => {
            if (groups.get(key) === created) groups.delete(key);
          },
        );
      }
      const joined = group;
      const result = await joined.started;
      // Not a stream (argument errors, refusals): every member gets the same answer.
      if (!isAsyncIterable(result) || joined.closed) return isAsyncIterable(result) ? run(args) : result;
      const state = new MemberState(member, joined, leaving);
      joined.members.add(state);
      members++;
      if (joined.last !== undefined) {
        const last = joined.last;
        // After graphql-ws has registered the subscription.
        setImmediate(() => {
          if (!state.ended) write(joined, state, last);
        });
      }
      return state;
    },
    live(key) {
      const group = groups.get(key);
      return group !== undefined && group.source !== undefined && !group.closed ? group : undefined;
    },
    stats: () => ({ groups: groups.size, members, executions, deliveries, conflated, tooSlow }),
    drained: () => (members === 0 ? Promise.resolve() : new Promise<void>((resolve) => drainWaiters.push(resolve))),
  };
}
