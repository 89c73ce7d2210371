/**
 * An SSE or multipart response of the fast path (`fast-subscribe.ts`) as a
 * byte sink of the shared fan-out: the group's shared Buffers go straight to
 * the `ServerResponse` with `res.write`, without a stream between them. The
 * status line, headers and the transport's opening bytes leave in one write
 * (Node sends a string's first chunk together with the headers). Backpressure
 * is the response's own: `buffered()` is its unsent bytes (its socket's
 * included), and once `res.write()` has returned false the fan-out's waiting
 * member is told on the response's `drain`. The bytes are those of
 * `HttpSink` (the yoga path), frame for frame (`HTTP_TRANSPORTS`).
 */
import type { ServerResponse } from 'node:http';
import type { Sink } from '../fanout/fanout-types.ts';
import { HTTP_TRANSPORTS, type Beating, type Heartbeats, type HttpKind } from './http-sink.ts';

export class DirectHttpSink implements Sink, Beating {
  readonly kind: HttpKind;
  private readonly res: ServerResponse;
  private readonly heartbeats: Heartbeats;
  private started = false;
  private ended = false;
  private drained: (() => void) | undefined = undefined;

  constructor(kind: HttpKind, res: ServerResponse, heartbeats: Heartbeats) {
    this.kind = kind;
    this.res = res;
    this.heartbeats = heartbeats;
  }

  /** Sends the status, the transport's headers (and `extra`) and its opening bytes, then keeps the stream alive. */
  start(extra: Readonly<Record<string, string>> = {}): void {
    if (this.started || this.res.destroyed) return;
    this.started = true;
    this.res.on('drain', () => {
      const drained = this.drained;
      this.drained = undefined;
      drained?.();
    });
    this.res.once('close', () => this.close());
    this.res.writeHead(200, { ...HTTP_TRANSPORTS[this.kind].headers, ...extra });
    this.res.write(HTTP_TRANSPORTS[this.kind].start);
    this.heartbeats.add(this);
  }

  isOpen(): boolean {
    return this.started && !this.ended && !this.res.destroyed && this.res.writable;
  }

  buffered(): number {
    return this.res.writableLength;
  }

  write(bytes: string | Buffer): void {
    if (this.isOpen()) this.res.write(bytes);
  }

  onDrain(listener: () => void): void {
    this.drained = listener;
  }

  /** A keep-alive, when nothing else is waiting to go out. */
  beat(): void {
    if (this.isOpen() && this.buffered() === 0) this.res.write(HTTP_TRANSPORTS[this.kind].heartbeat);
  }

  /** The member is finished: the transport's end, then the end of the body. */
  finish(): void {
    if (!this.isOpen()) return;
    this.close();
    this.res.end(HTTP_TRANSPORTS[this.kind].end);
  }

  /** No more writes (the response closed, or is ending). */
  private close(): void {
    this.ended = true;
    this.drained = undefined;
    this.heartbeats.delete(this);
  }
}
