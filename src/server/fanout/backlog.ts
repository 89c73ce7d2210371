/**
 * What the shared subscription path holds for one member whose socket is
 * backed up, until the socket drains: messages in order, folded so that a
 * slow member gets fewer, larger messages rather than a growing queue.
 *
 * - a state update replaces the held update before it (the latest wins);
 * - an event result whose data is one list (trades) merges into the held
 *   list result before it: one message, newest items first, none dropped;
 * - any other event result, and every result with errors, is held as is, so
 *   errors keep their place among the data.
 *
 * The backlog remembers when its oldest message arrived: how far behind the
 * member is, in time, which is what the fan-out bounds (not bytes). Also here:
 * how a result goes on the wire (serialized once for every member, and
 * encoded once per framing for the live writes) and the in-band error
 * that ends a member too far behind.
 */
import type { ExecutionResult } from 'graphql';
import { resultJson } from '../result-json.ts';
import type { Framing } from './fanout-types.ts';

/** One result on its way to members: serialized once for all of them, unless folded. */
export interface Outgoing {
  readonly result: ExecutionResult;
  readonly payload: string;
  /** Results with errors are never folded into others. */
  readonly hasErrors: boolean;
  /** The exchange's frame `ts` of the event it was made of (delivery latency); undefined when it is not a fresh frame. */
  readonly frameTs: number | undefined;
}

/** A message to write: its payload and, for the latency metric, its frame `ts`. */
export interface Written {
  readonly payload: string;
  readonly frameTs: number | undefined;
}

/** The in-band error that ends a member which fell too far behind. */
export const tooSlowPayload = (maxBehindMs: number) =>
  JSON.stringify({
    errors: [
      {
        message: `The subscriber fell more than ${maxBehindMs} ms behind its stream and was ended; resubscribe to continue.`,
        extensions: { code: 'SUBSCRIBER_TOO_SLOW' },
      },
    ],
  });

/** A result on its way out, serialized once for every member. */
export const outgoing = (result: ExecutionResult, frameTs?: number): Outgoing => ({
  result,
  payload: resultJson(result),
  hasErrors: result.errors !== undefined && result.errors.length > 0,
  frameTs,
});

/** One result's message as bytes, encoded once per framing in use (a transport's, or a graphql-ws operation id's). */
export class SharedFrames {
  private readonly payload: string;
  private readonly byFraming = new Map<Framing, Buffer>();

  constructor(payload: string) {
    this.payload = payload;
  }

  for(framing: Framing): Buffer {
    let frame = this.byFraming.get(framing);
    if (frame === undefined) this.byFraming.set(framing, (frame = Buffer.from(framing.head + this.payload + framing.tail)));
    return frame;
  }
}

/** A held message: one result, or several list results merged into one. */
interface Held {
  /** When the oldest result folded into it arrived. */
  readonly at: number;
  readonly out: Outgoing;
  /** For merged list results: the serialized head (`{"data":{"<field>":[`) and each list's items as text, oldest first. */
  merged: { readonly head: string; readonly parts: string[] } | undefined;
}

const LIST_TAIL = ']}}';

/**
 * A result that is only `{"data":{"<field>":[...]}}`: its head and its items
 * as serialized text, so lists merge by splicing text, never re-serializing.
 */
function listText(out: Outgoing): { head: string; items: string } | undefined {
  const { result, payload } = out;
  if (Object.keys(result).length !== 1 || result.data === null || result.data === undefined) return undefined;
  const keys = Object.keys(result.data);
  if (keys.length !== 1 || !Array.isArray(result.data[keys[0] as string])) return undefined;
  const head = `{"data":{${JSON.stringify(keys[0])}:[`;
  if (!payload.startsWith(head) || !payload.endsWith(LIST_TAIL)) return undefined;
  return { head, items: payload.slice(head.length, payload.length - LIST_TAIL.length) };
}

export type Folded = 'held' | 'conflated' | 'merged';

export class Backlog {
  private readonly held: Held[] = [];

  get size(): number {
    return this.held.length;
  }

  /** When the oldest held message arrived; undefined when nothing is held. */
  oldestAt(): number | undefined {
    return this.held[0]?.at;
  }

  /** Holds `out` (arrived at `now`), folding it into the last held message where its policy allows. */
  add(out: Outgoing, state: boolean, now: number): Folded {
    const last = this.held.at(-1);
    if (last !== undefined && !out.hasErrors && !last.out.hasErrors) {
      if (state) {
        this.held[this.held.length - 1] = { at: last.at, out, merged: undefined };
        return 'conflated';
      }
      const incoming = listText(out);
      const previous = last.merged ?? startMerge(last.out);
      if (incoming !== undefined && previous !== undefined && previous.head === incoming.head) {
        previous.parts.push(incoming.items);
        last.merged = previous;
        return 'merged';
      }
    }
    this.held.push({ at: now, out, merged: undefined });
    return 'held';
  }

  /**
   * The next message to write, removed from the backlog. Its frame `ts` is
   * the latest value's for a conflated update, the oldest list's for merged lists.
   */
  shift(): Written | undefined {
    const next = this.held.shift();
    if (next === undefined) return undefined;
    if (next.merged === undefined) return next.out;
    // Newest list first; each list keeps its own order.
    const items = next.merged.parts.reverse().filter((part) => part !== '');
    return { payload: next.merged.head + items.join(',') + LIST_TAIL, frameTs: next.out.frameTs };
  }

  clear(): void {
    this.held.length = 0;
  }
}

function startMerge(out: Outgoing): { head: string; parts: string[] } | undefined {
  const list = listText(out);
  return list === undefined ? undefined : { head: list.head, parts: [list.items] };
}
