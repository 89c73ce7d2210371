/**
 * An SSE or multipart subscription response as a member of the shared path
 * (`fanout/`): a byte sink whose bytes are the response body. It is a Node
 * `Readable` that the server adapter pipes into the `ServerResponse`, so a
 * message costs one `push` and one `res.write` of the group's shared Buffer,
 * and the response's backpressure is honoured as Node streams do it: when
 * `res.write()` returns false the pipe pauses until `drain`, pushed bytes
 * wait in the sink, and `buffered()` (those plus the response's and its
 * socket's unsent bytes) tells the fan-out to hold (conflate, merge, or in
 * the end fail with SUBSCRIBER_TOO_SLOW) instead of writing.
 *
 * Framing, byte for byte what yoga's SSE and the multipart plugin write:
 * SSE opens with `:\n\n`, frames each result as `event: next\ndata: <json>\n\n`,
 * pings with `:\n\n` and ends with `event: complete\ndata:\n\n`; multipart
 * (`multipart.ts`) opens with its delimiter, frames each result as a part
 * `{"payload":<json>}`, beats with a `{}` part and ends with `--`. One timer
 * per transport beats for every open sink that has nothing pending.
 */
import type { ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import type { Framing, Sink } from '../fanout/fanout-types.ts';
import { DELIMITER, END, HEARTBEAT, MULTIPART_CONTENT_TYPE, PART_HEADERS, part } from './multipart.ts';

/** The HTTP transports of a subscription. */
export type HttpKind = 'sse' | 'multipart';

/** yoga's SSE ping period: a comment line keeps proxies from closing an idle stream. */
export const SSE_PING_MS = 12_000;
/** Bytes a sink holds before `push` reports it full (the fan-out's own bound, SLOW_SOCKET_BYTES, decides when to hold). */
const SINK_HIGH_WATER_BYTES = 64 * 1024;

/** How one HTTP transport opens, frames, keeps alive and ends a subscription's body. */
export interface HttpTransport {
  readonly framing: Framing;
  readonly start: string;
  readonly heartbeat: string;
  readonly end: string;
  readonly mediaType: string;
  readonly headers: Readonly<Record<string, string>>;
}

export const HTTP_TRANSPORTS: Readonly<Record<HttpKind, HttpTransport>> = {
  sse: {
    framing: { head: 'event: next\ndata: ', tail: '\n\n' },
    start: ':\n\n',
    heartbeat: ':\n\n',
    end: 'event: complete\ndata:\n\n',
    mediaType: 'text/event-stream',
    headers: { 'content-type': 'text/event-stream', connection: 'keep-alive', 'cache-control': 'no-cache', 'content-encoding': 'none' },
  },
  multipart: {
    framing: { head: `${PART_HEADERS}{"payload":`, tail: `}${DELIMITER}` },
    start: DELIMITER,
    heartbeat: part(HEARTBEAT),
    end: END,
    mediaType: 'multipart/mixed',
    headers: { 'content-type': MULTIPART_CONTENT_TYPE, 'cache-control': 'no-cache', connection: 'keep-alive' },
  },
};

/** The body of one shared HTTP subscription. */
export class HttpSink extends Readable implements Sink {
  readonly kind: HttpKind;
  private readonly res: ServerResponse;
  private readonly heartbeats: Heartbeats;
  private ended = false;
  private drained: (() => void) | undefined = undefined;

  constructor(kind: HttpKind, res: ServerResponse, heartbeats: Heartbeats) {
    super({ highWaterMark: SINK_HIGH_WATER_BYTES });
    this.kind = kind;
    this.res = res;
    this.heartbeats = heartbeats;
    // Before any message: a member may be written to before the response is sent.
    this.push(HTTP_TRANSPORTS[kind].start);
  }

  /** The response wants more (it took what was pushed: `drain`): the fan-out may write what it holds. */
  override _read(): void {
    const drained = this.drained;
    this.drained = undefined;
    drained?.();
  }

  onDrain(listener: () => void): void {
    this.drained = listener;
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.ended = true;
    this.heartbeats.delete(this);
    callback(error);
  }

  isOpen(): boolean {
    return !this.ended && !this.destroyed && !this.res.destroyed;
  }

  buffered(): number {
    return this.readableLength + this.res.writableLength;
  }

  write(bytes: string | Buffer): void {
    if (this.isOpen()) this.push(bytes);
  }

  /** A keep-alive, when nothing else is waiting to go out. */
  beat(): void {
    if (this.isOpen() && this.buffered() === 0) this.push(HTTP_TRANSPORTS[this.kind].heartbeat);
  }

  /** The member is finished: the transport's end, then the end of the body. */
  finish(): void {
    if (!this.isOpen()) return;
    this.push(HTTP_TRANSPORTS[this.kind].end);
    this.ended = true;
    this.heartbeats.delete(this);
    this.push(null);
  }

  /** Starts the keep-alives (once the response is on its way). */
  keepAlive(): void {
    if (this.isOpen()) this.heartbeats.add(this);
  }
}

/** A sink that beats: writes its transport's keep-alive when nothing else is waiting to go out. */
export interface Beating {
  beat(): void;
}

/** One keep-alive timer for every open sink of a transport, running only while there is one. */
export class Heartbeats {
  private readonly periodMs: number;
  private readonly sinks = new Set<Beating>();
  private timer: NodeJS.Timeout | undefined = undefined;

  constructor(periodMs: number) {
    this.periodMs = periodMs;
  }

  add(sink: Beating): void {
    this.sinks.add(sink);
    if (this.timer !== undefined) return;
    this.timer = setInterval(() => {
      for (const each of this.sinks) each.beat();
    }, this.periodMs);
    this.timer.unref();
  }

  delete(sink: Beating): void {
    if (!this.sinks.delete(sink) || this.sinks.size > 0) return;
    clearInterval(this.timer);
    this.timer = undefined;
  }
}
