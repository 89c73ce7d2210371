/**
 * A graphql-ws subscription as a member of the shared path: the socket as a
 * byte sink (one per socket, shared by its subscriptions) and the `next`
 * framing of the operation id, `{"id":"<id>","type":"next","payload":` ...
 * `}`, one object per id clients commonly use ("1", "2"...), so that every
 * member of the same id shares one encoded Buffer per message.
 */
import type { WebSocket } from 'ws';
import type { Framing, Member, Sink } from '../fanout/fanout-types.ts';
import { countSent } from './ws-liveness.ts';

/** Framings kept for the ids clients use most, so that members of those ids share one framing and its bytes. */
const SHARED_FRAMINGS_MAX = 1_000;
const framings = new Map<string, Framing>();

/** The `next` framing of operation `id`: the same object for every member of a common id. */
export function nextFraming(id: string): Framing {
  let framing = framings.get(id);
  if (framing === undefined) {
    framing = { head: `{"id":${JSON.stringify(id)},"type":"next","payload":`, tail: '}' };
    if (framings.size < SHARED_FRAMINGS_MAX) framings.set(id, framing);
  }
  return framing;
}

/** A WebSocket as a sink: open while the socket is, buffered as its `bufferedAmount`, written as text frames. */
class WsSink implements Sink {
  readonly kind = 'ws';
  private readonly socket: WebSocket;

  constructor(socket: WebSocket) {
    this.socket = socket;
  }

  isOpen(): boolean {
    return this.socket.readyState === this.socket.OPEN;
  }

  buffered(): number {
    return this.socket.bufferedAmount;
  }

  write(bytes: string | Buffer): void {
    countSent(this.socket, bytes);
    // Shared bytes go as a text frame, like the string form.
    this.socket.send(bytes, { binary: false });
  }
}

const sinks = new WeakMap<WebSocket, WsSink>();

/** The sink of `socket`'s shared subscriptions, if it has had one. */
export const wsSinkOf = (socket: WebSocket): Sink | undefined => sinks.get(socket);

/** The member for operation `id` on `socket`. */
export function wsMember(id: string, socket: WebSocket): Member {
  let sink = sinks.get(socket);
  if (sink === undefined) sinks.set(socket, (sink = new WsSink(socket)));
  return { sink, framing: nextFraming(id) };
}
