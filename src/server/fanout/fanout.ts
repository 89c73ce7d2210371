/**
 * The shared subscription path: one execution per (document, variables,
 * credential) group, one serialization per event, one encoding per framing,
 * and per subscriber only a write to its sink, whatever the transport.
 *
 * The transport stays in charge of its protocol (graphql-ws: init,
 * subscribe, complete, close codes; SSE and multipart: yoga's request
 * pipeline, the response's start and end). For a grouped subscription it
 * receives an iterator that yields nothing and ends when the member's stream
 * ends, while the group writes every result itself, data and errors alike,
 * in order, as `head + payload + tail` of the member's framing: a graphql-ws
 * `{"id":<id>,"type":"next","payload":<payload>}` (byte for byte what
 * graphql-ws would have sent), an SSE `event: next`, a multipart part. The
 * payload is serialized once for every member and each framing's bytes are
 * encoded once for all members that share it (one Buffer to every SSE
 * response, one to every graphql-ws socket of operation id "1"...).
 *
 * A member whose sink is backed up (`SLOW_SOCKET_BYTES` buffered: a socket's
 * `bufferedAmount`, a response's unsent bytes) gets its messages held in its
 * backlog (`backlog.ts`): state updates conflate to the latest, trade lists
 * merge into fewer, larger messages, other events queue. The backlog goes out
 * as the sink drains. An event member whose oldest held message is older than
 * `maxBehindMs` is ended on its own with an in-band `SUBSCRIBER_TOO_SLOW`
 * error and its transport's end; its connection and its other subscriptions
 * stay. One large message never ends anybody: only time behind counts. A
 * socket the keepalive finds stuck (`endStuck`) has all its members ended
 * that way, state ones included. `maxLagMs` is the delivery lag (metrics). The
 * fan-out owns its counters (`SharingStats`, shown by `Query.status`, plus
 * `merged` and the deliveries by transport) and tells shutdown when its last
 * member has gone (`drained()`).
 */
import type { ExecutionResult } from 'graphql';
import { eventTimeOf, type EventTime } from '../../lib/event-time.ts';
import { DEFAULT_LIMITS } from '../../lib/limits.ts';
import { rootFieldOf, UNKNOWN_FIELD } from '../root-field.ts';
import { Backlog, outgoing, SharedFrames, tooSlowPayload, type Outgoing } from './backlog.ts';
import type { Fanout, FanoutOptions, SinkKind } from './fanout-types.ts';
import { MemberState, type Group, type Leaving } from './fanout-member.ts';

/** Bytes a sink may have buffered before its member's messages are held (and folded) instead of written. */
export const SLOW_SOCKET_BYTES = 256 * 1024;
/** How often a backed-up member's sink is checked for room, to write what is held. */
export const DRAIN_CHECK_MS = 50;

const isAsyncIterable = (value: unknown): value is AsyncIterable<ExecutionResult> =>
  typeof value === 'object' && value !== null && Symbol.asyncIterator in value;

export function createFanout(options: FanoutOptions = {}): Fanout {
  const maxBehindMs = options.maxBehindMs ?? DEFAULT_LIMITS.slowSubscriberMaxBehindMs;
  const now = options.now ?? Date.now;
  const drainCheckMs = options.drainCheckMs ?? DRAIN_CHECK_MS;
  const groups = new Map<string, Group>();
  let executions = 0;
  let deliveries = 0;
  const deliveredBy: Record<SinkKind, number> = { ws: 0, sse: 0, multipart: 0 };
  let conflated = 0;
  let merged = 0;
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

  const send = (state: MemberState, payload: string) => {
    const { sink, framing } = state.member;
    deliveries++;
    deliveredBy[sink.kind]++;
    sink.write(framing.head + payload + framing.tail);
  };

  /**
   * Writes one live result to a member as bytes encoded once for every member
   * of the same framing: a `ws` server frame is not masked and an HTTP chunk
   * is plain bytes, so one Buffer goes to every sink unchanged, as a raw relay
   * does.
   */
  const sendShared = (state: MemberState, frames: SharedFrames) => {
    const { sink, framing } = state.member;
    deliveries++;
    deliveredBy[sink.kind]++;
    sink.write(frames.for(framing));
  };

  const leave = (group: Group, state: MemberState) => {
    if (!group.members.delete(state)) return;
    memberLeft();
    state.finish();
    clearTimeout(state.retry);
    state.backlog?.clear();
    if (group.members.size === 0 && !group.closed) {
      group.closed = true;
      groups.delete(group.key);
      void group.source?.return?.();
    }
  };
  const leaving: Leaving = { leave };

  const endTooSlow = (state: MemberState) => {
    tooSlow++;
    state.backlog?.clear();
    if (state.member.sink.isOpen()) send(state, tooSlowPayload(maxBehindMs));
    leave(state.group, state);
  };

  /** Writes what the backlog holds while the sink has room; ends the member past its bound. */
  const drain = (state: MemberState) => {
    state.retry = undefined;
    if (state.finished) return;
    const sink = state.member.sink;
    const backlog = state.backlog;
    if (!sink.isOpen()) {
      leave(state.group, state);
      return;
    }
    while (backlog !== undefined && backlog.size > 0 && sink.buffered() <= SLOW_SOCKET_BYTES) {
      const held = backlog.shift();
      if (held === undefined) continue;
      send(state, held.payload);
      if (held.frameTs !== undefined) state.group.observeLatency?.(held.frameTs);
    }
    const oldest = backlog?.oldestAt();
    if (oldest === undefined) {
      if (state.ending) leave(state.group, state);
      return;
    }
    if (state.group.delivery === 'event' && now() - oldest > maxBehindMs) {
      endTooSlow(state);
      return;
    }
    waitForRoom(state);
  };

  /**
   * Drains a backed-up member when its sink has room: at once when the sink
   * says so (an HTTP response's `drain`), else at the next check (a socket;
   * the check also ends an event member past its bound while nothing drains).
   */
  const waitForRoom = (state: MemberState) => {
    state.retry ??= setTimeout(() => drain(state), drainCheckMs);
    state.member.sink.onDrain?.(() => {
      clearTimeout(state.retry);
      drain(state);
    });
  };

  /** Writes `out` to the member's sink (as `frames`' shared bytes, when given), or holds it; true when it went to the sink. */
  const write = (state: MemberState, out: Outgoing, frames?: SharedFrames): boolean => {
    if (state.finished || state.ending) return false;
    const sink = state.member.sink;
    if (!sink.isOpen()) return false;
    if ((state.backlog === undefined || state.backlog.size === 0) && sink.buffered() <= SLOW_SOCKET_BYTES) {
      if (frames === undefined) send(state, out.payload);
      else sendShared(state, frames);
      return true;
    }
    const folded = (state.backlog ??= new Backlog()).add(out, state.group.delivery === 'state', now());
    if (folded === 'conflated') conflated++;
    else if (folded === 'merged') merged++;
    const oldest = state.backlog.oldestAt();
    if (state.group.delivery === 'event' && oldest !== undefined && now() - oldest > maxBehindMs) endTooSlow(state);
    else waitForRoom(state);
    return false;
  };

  const pump = async (group: Group, iterable: AsyncIterable<ExecutionResult>, time: EventTime | undefined) => {
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
        const out = outgoing(step.value, time?.take());
        // A late joiner gets the latest state as a replay: not a fresh frame, so no frame time.
        if (group.delivery === 'state' && !out.hasErrors) group.last = { ...out, frameTs: undefined };
        let wrote = false;
        const frames = new SharedFrames(out.payload);
        for (const state of group.members) if (write(state, out, frames)) wrote = true;
        if (wrote && out.frameTs !== undefined) group.observeLatency?.(out.frameTs);
      }
    } finally {
      group.closed = true;
      if (groups.get(group.key) === group) groups.delete(group.key);
      // Each member ends after what it still holds has gone out.
      for (const state of [...group.members]) {
        state.ending = true;
        if (state.backlog === undefined || state.backlog.size === 0) leave(group, state);
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
          observeLatency: options.latencyFor?.(rootFieldOf(args) ?? UNKNOWN_FIELD),
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
            // The execution's source marks each value's frame time (set up by the resolver as it ran).
            if (isAsyncIterable(result)) void pump(created, result, eventTimeOf(args.contextValue));
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
        // After the transport has registered the subscription.
        setImmediate(() => write(state, last));
      }
      return state;
    },
    live(key) {
      const group = groups.get(key);
      return group !== undefined && group.source !== undefined && !group.closed ? group : undefined;
    },
    stats: () => ({ groups: groups.size, members, executions, deliveries, conflated, merged, tooSlow, deliveredBy: { ...deliveredBy } }),
    endStuck(sink) {
      let ended = 0;
      for (const group of [...groups.values()])
        for (const state of [...group.members])
          if (state.member.sink === sink && !state.finished) {
            endTooSlow(state);
            ended++;
          }
      return ended;
    },
    maxLagMs() {
      const t = now();
      let oldest = t;
      for (const group of groups.values()) for (const state of group.members) oldest = Math.min(oldest, state.backlog?.oldestAt() ?? t);
      return t - oldest;
    },
    drained: () => (members === 0 ? Promise.resolve() : new Promise<void>((resolve) => drainWaiters.push(resolve))),
  };
}
