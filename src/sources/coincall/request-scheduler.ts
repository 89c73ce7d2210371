/**
 * The request scheduler of one upstream connection: which subscribe or
 * unsubscribe goes out next, so that one client's burst cannot hold up the
 * others.
 *
 * Each client (a graphql-ws socket, an HTTP request) has its own lane of
 * topics waiting for their subscribe; unsubscribes share one more lane. The
 * lanes take turns (round robin), one request per turn, so a client's first
 * subscribe waits for at most one request of each other busy client, however
 * many topics those queued. On channels that allow it, one request carries up
 * to MAX_BATCH_SYMBOLS topics of the lane (`symbol: [...]`).
 *
 * Exactly one request sits in the connection's pacer at a time; the next is
 * chosen when it is written, so the choice is always made as late as
 * possible. The first request after a quiet spell waits for the end of the
 * current task (`defer`, a microtask), so that a burst arriving at once goes
 * out in as few batches as possible. What never went out is cancelled rather than sent: a topic that
 * is abandoned while its subscribe still waits sends neither that subscribe
 * nor an unsubscribe, and a topic opened again while its unsubscribe still
 * waits keeps the upstream subscription and sends neither.
 *
 * A resubscribe (a stale topic, `stale-watch.ts`) is an unsubscribe that waits
 * in the unsubscribe lane like any other and is never cancelled by a subscribe;
 * once it is written, the topic's subscribe follows in its owner's lane. A
 * topic abandoned meanwhile sends only the unsubscribe.
 */
import { subscribeRequest, unsubscribeRequest } from '../../coincall/protocol.ts';
import type { SourceTopic } from '../../hub/source-port.ts';
import { ackKeyOfTopic } from './ack-key.ts';

/** The most symbols one batch request carries (the exchange's limit). */
export const MAX_BATCH_SYMBOLS = 100;
/** The lane of topics whose callers did not say who they are. */
export const ANONYMOUS_CLIENT = '\u0000anonymous';
/** The lane of unsubscribes (not a client id: those never start with NUL). */
const UNSUBSCRIBES = '\u0000unsubscribes';

/** Who asked for a topic: a client connection or request, and the address it came from. */
export interface ClientRef {
  readonly id: string;
  readonly address: string | undefined;
  /** The gateway key id this client acts for (GATEWAY_AUTH): its refusals name it (never the key). */
  readonly keyId?: string;
}

/** One request as written: its topics (several when batched) and the payload it carried. */
export interface SentRequest {
  readonly action: 'subscribe' | 'unsubscribe';
  readonly dataType: string;
  readonly topics: readonly SourceTopic[];
  readonly payload: Readonly<Record<string, unknown>> | undefined;
}

export interface RequestSchedulerOptions {
  /** Queues a request on the connection; `onWritten` runs once it reaches the socket (never, if the socket went). */
  readonly send: (text: string, onWritten: () => void) => void;
  /** Whether the topic is still wanted (a subscribe of a topic that is gone is skipped). */
  readonly isLive: (topic: SourceTopic) => boolean;
  /** A request reached the socket. */
  readonly written: (request: SentRequest) => void;
  /** Runs the first pick after a quiet spell later (default queueMicrotask). */
  readonly defer?: (pick: () => void) => void;
  /** A resubscribe's unsubscribe was written: the topic's subscribe is due (queue it with `subscribe`). */
  readonly renewed?: (topic: SourceTopic) => void;
}

export interface RequestScheduler {
  /** Records the client that opened the topic: its subscribes (re-sends too) wait in that client's lane. */
  own(topic: SourceTopic, client: string): void;
  /**
   * Queues the topic's subscribe in its owner's lane. `solo`: never batched (a
   * batch it was in was refused). Returns true when nothing needs to go out:
   * the topic's unsubscribe was still waiting, and is cancelled, so the
   * exchange still has it.
   */
  subscribe(topic: SourceTopic, options?: { readonly solo?: boolean }): boolean;
  /**
   * Queues the topic's unsubscribe, or cancels its subscribe if that never went
   * out. `answered`: whether the exchange had answered its subscribe (a
   * subscribe of the same topic that cancels this unsubscribe is then answered at once).
   */
  unsubscribe(topic: SourceTopic, answered: boolean): void;
  /**
   * Queues an unsubscribe of the live topic that no subscribe cancels, and
   * calls `renewed` once it is written. Nothing when its subscribe or a
   * resubscribe already waits.
   */
  resubscribe(topic: SourceTopic): void;
  /** Requests waiting (topics, not batches). */
  pending(): number;
  /** The socket is new: waiting unsubscribes are moot, the request in the pacer is gone. */
  reset(): void;
  /** Hands the next request to the pacer now, not after the current task (shutdown drains at once). */
  flush(): void;
}

interface Lane {
  readonly action: 'subscribe' | 'unsubscribe';
  readonly topics: Set<SourceTopic>;
}

/** A batch payload is possible only for a payload that names one symbol and nothing else. */
const symbolOf = (topic: SourceTopic): string | undefined => {
  const payload = topic.payload;
  if (payload === undefined || Object.keys(payload).length !== 1) return undefined;
  const symbol = payload['symbol'];
  return typeof symbol === 'string' ? symbol : undefined;
};

export function createRequestScheduler(options: RequestSchedulerOptions): RequestScheduler {
  const { send, isLive, written } = options;
  const defer = options.defer ?? queueMicrotask;
  const lanes = new Map<string, Lane>();
  /** SourceTopics waiting for their subscribe, and the lane they wait in. */
  const waiting = new Map<SourceTopic, string>();
  /** The client that opened each topic (its re-sends wait in that client's lane). */
  const owners = new WeakMap<SourceTopic, string>();
  const solo = new WeakSet<SourceTopic>();
  /** Waiting unsubscribes by dataType and payload, with whether the exchange had answered the subscribe. */
  const leaving = new Map<string, { readonly topic: SourceTopic; readonly answered: boolean }>();
  /** Live topics whose waiting unsubscribe is the first half of a resubscribe. */
  const renewing = new Set<SourceTopic>();
  let inPacer = false;
  let deferred = false;
  let generation = 0;

  const laneOf = (id: string, action: Lane['action']): Lane => {
    let lane = lanes.get(id);
    if (lane === undefined) lanes.set(id, (lane = { action, topics: new Set() }));
    return lane;
  };

  /** Takes the lane's next request: its first topic, and (if batchable) more of the same dataType. */
  const takeFrom = (lane: Lane): SentRequest | undefined => {
    let first: SourceTopic | undefined;
    for (const topic of lane.topics) {
      lane.topics.delete(topic);
      if (lane.action === 'subscribe') {
        waiting.delete(topic);
        if (!isLive(topic)) continue;
      } else leaving.delete(ackKeyOfTopic(topic));
      first = topic;
      break;
    }
    if (first === undefined) return undefined;
    const dataType = first.channel.dataType;
    const batchable = first.channel.batchable === true && !solo.has(first) && symbolOf(first) !== undefined;
    const topics = [first];
    if (batchable)
      for (const topic of lane.topics) {
        if (topics.length >= MAX_BATCH_SYMBOLS) break;
        if (topic.channel.dataType !== dataType || solo.has(topic) || symbolOf(topic) === undefined) continue;
        lane.topics.delete(topic);
        if (lane.action === 'subscribe') {
          waiting.delete(topic);
          if (!isLive(topic)) continue;
        } else leaving.delete(ackKeyOfTopic(topic));
        topics.push(topic);
      }
    const payload = topics.length === 1 ? first.payload : { symbol: topics.map((t) => symbolOf(t) as string) };
    return { action: lane.action, dataType, topics, payload };
  };

  /** The next request, round robin: the lane served goes to the back of the line. */
  const next = (): SentRequest | undefined => {
    for (const [id, lane] of lanes) {
      lanes.delete(id);
      const request = takeFrom(lane);
      if (lane.topics.size > 0) lanes.set(id, lane);
      if (request !== undefined) return request;
    }
    return undefined;
  };

  const pump = () => {
    if (inPacer) return;
    const request = next();
    if (request === undefined) return;
    inPacer = true;
    const sent = generation;
    const text =
      request.action === 'subscribe'
        ? subscribeRequest(request.dataType, request.payload)
        : unsubscribeRequest(request.dataType, request.payload);
    send(text, () => {
      if (sent !== generation) return;
      inPacer = false;
      written(request);
      if (request.action === 'unsubscribe')
        for (const topic of request.topics) if (renewing.delete(topic) && isLive(topic)) options.renewed?.(topic);
      pump();
    });
  };

  const pumpSoon = () => {
    if (inPacer || deferred) return;
    deferred = true;
    defer(() => {
      deferred = false;
      pump();
    });
  };

  return {
    own(topic, client) {
      owners.set(topic, client);
    },
    subscribe(topic, subscribeOptions = {}) {
      if (subscribeOptions.solo === true) solo.add(topic);
      const key = ackKeyOfTopic(topic);
      const left = leaving.get(key);
      if (left !== undefined) {
        leaving.delete(key);
        lanes.get(UNSUBSCRIBES)?.topics.delete(left.topic);
        if (left.answered) return true;
      }
      if (waiting.has(topic)) return false;
      const id = owners.get(topic) ?? ANONYMOUS_CLIENT;
      waiting.set(topic, id);
      laneOf(id, 'subscribe').topics.add(topic);
      pumpSoon();
      return false;
    },
    unsubscribe(topic, answered) {
      const id = waiting.get(topic);
      if (id !== undefined) {
        // Its subscribe never went out: nothing to undo upstream.
        waiting.delete(topic);
        const lane = lanes.get(id);
        lane?.topics.delete(topic);
        if (lane?.topics.size === 0) lanes.delete(id);
        return;
      }
      // Abandoned while its resubscribe waited: the unsubscribe stays, the subscribe after it is off.
      renewing.delete(topic);
      leaving.set(ackKeyOfTopic(topic), { topic, answered });
      laneOf(UNSUBSCRIBES, 'unsubscribe').topics.add(topic);
      pumpSoon();
    },
    resubscribe(topic) {
      if (waiting.has(topic) || renewing.has(topic)) return;
      renewing.add(topic);
      laneOf(UNSUBSCRIBES, 'unsubscribe').topics.add(topic);
      pumpSoon();
    },
    pending: () => waiting.size + leaving.size + renewing.size,
    reset() {
      generation++;
      inPacer = false;
      lanes.delete(UNSUBSCRIBES);
      leaving.clear();
      // A new socket: every live topic is subscribed again anyway.
      renewing.clear();
      pumpSoon();
    },
    flush: () => pump(),
  };
}
