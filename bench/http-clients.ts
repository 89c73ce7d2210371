/**
 * The bench's HTTP subscribers (SSE and Apollo's multipart), for
 * bench/clients.ts: one POST per subscriber on its own connection, the body
 * split into messages as it arrives (an SSE event, a multipart part), each
 * `next` handed over as its JSON text. Plain `node:http`, no client library,
 * so the measuring side stays cheap.
 */
import { request, type IncomingMessage } from 'node:http';

export type HttpTransport = 'sse' | 'multipart';

const ACCEPT: Record<HttpTransport, string> = {
  sse: 'text/event-stream',
  multipart: 'multipart/mixed;boundary="graphql";subscriptionSpec="1.0",application/json',
};
const SSE_NEXT = 'event: next\ndata: ';
const PART_DELIMITER = '\r\n--graphql';
const PART_HEAD = '\r\ncontent-type: application/json; charset=utf-8\r\n\r\n';
const PAYLOAD_HEAD = '{"payload":';

export interface HttpHandlers {
  /** The response's headers arrived (status 200). */
  readonly accepted: () => void;
  /** One `next` result's JSON. */
  readonly next: (json: string) => void;
  /** The server ended the stream (`complete`, the closing delimiter, an error part) or the connection closed. */
  readonly ended: (why: string) => void;
  readonly failed: (error: Error) => void;
}

export interface HttpSubscriber {
  isOpen(): boolean;
  /** Stops reading (the kernel buffers fill, then the server's). */
  pause(): void;
  terminate(): void;
}

/** Splits an SSE body into events; returns what is left of an unfinished one. */
function sseMessages(buffer: string, handlers: HttpHandlers): string {
  let start = 0;
  for (let end = buffer.indexOf('\n\n', start); end >= 0; end = buffer.indexOf('\n\n', start)) {
    const block = buffer.slice(start, end);
    start = end + 2;
    if (block.startsWith(SSE_NEXT)) handlers.next(block.slice(SSE_NEXT.length));
    else if (block.startsWith('event: complete')) handlers.ended('complete');
  }
  return buffer.slice(start);
}

/** Splits a multipart body into parts; returns what is left of an unfinished one. */
function multipartMessages(buffer: string, handlers: HttpHandlers): string {
  let start = 0;
  for (let end = buffer.indexOf(PART_DELIMITER, start); end >= 0; end = buffer.indexOf(PART_DELIMITER, start)) {
    const part = buffer.slice(start, end);
    start = end + PART_DELIMITER.length;
    if (!part.startsWith(PART_HEAD)) continue;
    const json = part.slice(PART_HEAD.length);
    if (json.startsWith(PAYLOAD_HEAD)) handlers.next(json.slice(PAYLOAD_HEAD.length, -1));
    else if (json !== '{}') handlers.ended(json.slice(0, 300));
  }
  const rest = buffer.slice(start);
  if (rest.startsWith('--')) handlers.ended('closing delimiter');
  return rest;
}

export function openHttpSubscriber(url: string, transport: HttpTransport, body: string, handlers: HttpHandlers): HttpSubscriber {
  let response: IncomingMessage | undefined;
  let open = true;
  const req = request(url, { method: 'POST', agent: false, headers: { accept: ACCEPT[transport], 'content-type': 'application/json' } }, (res) => {
    response = res;
    if (res.statusCode !== 200) {
      open = false;
      handlers.failed(new Error(`HTTP ${res.statusCode}`));
      res.resume();
      return;
    }
    handlers.accepted();
    res.setEncoding('utf8');
    let buffer = '';
    const split = transport === 'sse' ? sseMessages : multipartMessages;
    res.on('data', (chunk: string) => {
      buffer = split(buffer + chunk, handlers);
    });
    res.on('close', () => {
      if (!open) return;
      open = false;
      handlers.ended('closed');
    });
    res.on('error', () => undefined);
  });
  req.on('error', (error) => {
    if (!open) return;
    open = false;
    handlers.failed(error);
  });
  req.end(body);
  return {
    isOpen: () => open,
    pause: () => void response?.pause(),
    terminate: () => {
      open = false;
      response?.destroy();
      req.destroy();
    },
  };
}
