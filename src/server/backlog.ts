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
 * how a result goes on the wire (once for every member) and the in-band error
 * that ends a member too far behind.
 */
import type { ExecutionResult } from 'graphql';
import { withoutHttpExtension } from './ws-envelop.ts';

/** One result on its way to members: serialized once for all of them, unless folded. */
export interface Outgoing {
  readonly result: ExecutionResult;
  readonly payload: string;
  /** Results with errors are never folded into others. */
  readonly hasErrors: boolean;
}

/** A result as graphql-ws's `onNext` (ws-options.ts) puts it on the wire: errors without yoga's HTTP extension. */
function serialize(result: ExecutionResult): string {
  const { errors, data, extensions } = result;
  if (errors === undefined || !errors.some((e) => e.extensions['http'] !== undefined)) return JSON.stringify(result);
  return JSON.stringify({
    ...(data === undefined ? {} : { data }),
    ...(extensions === undefined ? {} : { extensions }),
    errors: errors.map((e) => withoutHttpExtension(e).toJSON()),
  });
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
export const outgoing = (result: ExecutionResult): Outgoing => ({
  result,
  payload: serialize(result),
  hasErrors: result.errors !== undefined && result.errors.length > 0,
});

/** How a held message came to be: one result, or several results' lists merged. */
interface Held {
  /** When the oldest result folded into it arrived. */
  readonly at: number;
  readonly first: Outgoing;
  /** For merged list results: the root field and the lists, oldest first. */
  merged: { readonly key: string; readonly lists: unknown[][] } | undefined;
  latest: Outgoing;
}

/** The single list of a result's data, with its root field; undefined when the data is not one list. */
function soleList(result: ExecutionResult): { key: string; list: unknown[] } | undefined {
  const data = result.data;
  if (data === null || data === undefined) return undefined;
  const keys = Object.keys(data);
  if (keys.length !== 1) return undefined;
  const key = keys[0] as string;
  const list = data[key];
  return Array.isArray(list) ? { key, list } : undefined;
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
    if (last !== undefined && !out.hasErrors && !last.latest.hasErrors) {
      if (state) {
        this.held[this.held.length - 1] = { at: last.at, first: out, merged: undefined, latest: out };
        return 'conflated';
      }
      const incoming = soleList(out.result);
      const previous = last.merged ?? this.startMerge(last);
      if (incoming !== undefined && previous !== undefined && previous.key === incoming.key) {
        previous.lists.push(incoming.list);
        last.merged = previous;
        last.latest = out;
        return 'merged';
      }
    }
    this.held.push({ at: now, first: out, merged: undefined, latest: out });
    return 'held';
  }

  /** The next message's payload to write, removed from the backlog. */
  shift(): string | undefined {
    const next = this.held.shift();
    if (next === undefined) return undefined;
    if (next.merged === undefined) return next.latest.payload;
    const items = next.merged.lists.reverse().flat();
    return JSON.stringify({ ...next.latest.result, data: { [next.merged.key]: items } });
  }

  clear(): void {
    this.held.length = 0;
  }

  private startMerge(held: Held): { key: string; lists: unknown[][] } | undefined {
    if (held.first !== held.latest) return undefined;
    const list = soleList(held.first.result);
    return list === undefined ? undefined : { key: list.key, lists: [list.list] };
  }
}
