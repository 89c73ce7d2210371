/**
 * The bench's HTTP subscribers (SSE and Apollo's multipart), for
 * bench/clients.ts: one POST per subscriber on its own TCP connection, written
 * and read raw, without an HTTP client library: the status line, then the
 * body bytes as they come (chunked framing included), scanned for each
 * book's `"timestamp":"<ISO>"` (one per `next` result of the book document)
 * and for the transport's end. A parser per subscriber would make the
 * measuring side, not the server, the bottleneck at 50,000 messages/s.
 */
import { connect } from 'node:net';

export type HttpTransport = 'sse' | 'multipart';

const ACCEPT: Record<HttpTransport, string> = {
  sse: 'text/event-stream',
  multipart: 'multipart/mixed;boundary="graphql";subscriptionSpec="1.0",application/json',
};
/** What ends a stream, per transport (`complete` or the closing delimiter); an error part ends multipart too. */
const END: Record<HttpTransport, string> = { sse: 'event: complete', multipart: '--graphql--' };
const TIMESTAMP = '"timestamp":"';
/** Bytes kept from the end of a chunk, so that a marker split across two chunks is still found. */
const CARRY = 64;

export interface HttpHandlers {
  /** The response's status line arrived (200). */
  readonly accepted: () => void;
  /** One `next` result, as the book's time in ms. */
  readonly next: (bookTimeMs: number) => void;
  /** The server ended the stream (its transport's end, an error) or the connection closed. */
  readonly ended: (why: string) => void;
  readonly failed: (error: Error) => void;
}

export interface HttpSubscriber {
  isOpen(): boolean;
  /** Stops reading (the kernel buffers fill, then the server's). */
  pause(): void;
  terminate(): void;
}

export function openHttpSubscriber(url: string, transport: HttpTransport, body: string, handlers: HttpHandlers): HttpSubscriber {
  const { hostname, port, pathname } = new URL(url);
  const socket = connect(Number(port), hostname);
  let open = true;
  let status: 'waiting' | 'streaming' = 'waiting';
  let text = '';
  const close = (why: string) => {
    if (!open) return;
    open = false;
    if (status === 'streaming') handlers.ended(why);
    else handlers.failed(new Error(why));
  };
  socket.setNoDelay(true);
  socket.on('connect', () => {
    socket.write(
      `POST ${pathname} HTTP/1.1\r\nHost: ${hostname}:${port}\r\nAccept: ${ACCEPT[transport]}\r\nContent-Type: application/json\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: keep-alive\r\n\r\n${body}`,
    );
  });
  socket.on('data', (chunk: Buffer) => {
    text += chunk.toString('latin1');
    if (status === 'waiting') {
      const headersEnd = text.indexOf('\r\n\r\n');
      if (headersEnd < 0) return;
      if (!text.startsWith('HTTP/1.1 200')) {
        close(text.slice(0, text.indexOf('\r\n')));
        socket.destroy();
        return;
      }
      status = 'streaming';
      handlers.accepted();
      text = text.slice(headersEnd + 4);
    }
    let from = 0;
    for (let at = text.indexOf(TIMESTAMP, from); at >= 0; at = text.indexOf(TIMESTAMP, from)) {
      const start = at + TIMESTAMP.length;
      const end = text.indexOf('"', start);
      if (end < 0) break;
      handlers.next(Date.parse(text.slice(start, end)));
      from = end + 1;
    }
    if (text.includes(END[transport], from) || text.includes('"errors"', from)) {
      close(text.slice(from, from + 300));
      return;
    }
    text = text.slice(Math.max(from, text.length - CARRY));
  });
  socket.on('error', (error) => close(error.message));
  socket.on('close', () => close('closed'));
  return {
    isOpen: () => open,
    pause: () => void socket.pause(),
    terminate: () => {
      open = false;
      socket.destroy();
    },
  };
}
