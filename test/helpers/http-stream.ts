/**
 * A raw HTTP subscription stream for tests that read bytes: POSTs an
 * operation with an `Accept` header, keeps the body as it arrives, and can
 * stop reading (the socket's receive buffer fills, as with a stalled
 * client), resume, or hang up; and readers of the events and parts that
 * have fully arrived.
 */
import { request, type IncomingMessage } from 'node:http';

export const SSE_ACCEPT = 'text/event-stream';
export const MULTIPART_ACCEPT = 'multipart/mixed;boundary="graphql";subscriptionSpec="1.0",application/json';

export interface HttpStream {
  readonly status: number;
  readonly headers: IncomingMessage['headers'];
  /** The body so far. */
  text(): string;
  /** Whether the server ended the body. */
  ended(): boolean;
  pause(): void;
  resume(): void;
  close(): void;
}

/** Opens the stream; resolves once the response's headers arrived. */
export function openHttpStream(
  url: string,
  accept: string,
  operation: { query: string; variables?: Record<string, unknown> },
  headers: Record<string, string> = {},
): Promise<HttpStream> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { method: 'POST', agent: false, headers: { accept, 'content-type': 'application/json', ...headers } },
      (res) => {
        const chunks: string[] = [];
        let ended = false;
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => chunks.push(chunk));
        res.on('end', () => {
          ended = true;
        });
        res.on('error', () => undefined);
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          text: () => chunks.join(''),
          ended: () => ended,
          pause: () => void res.pause(),
          resume: () => void res.resume(),
          close: () => {
            res.destroy();
            req.destroy();
          },
        });
      },
    );
    req.on('error', reject);
    req.end(JSON.stringify(operation));
  });
}

/** The JSON of every SSE `next` event in `text`, in order. */
export function sseNexts(text: string): string[] {
  // The last block is still arriving (or empty): only events ended by their blank line count.
  return text
    .split('\n\n')
    .slice(0, -1)
    .filter((block) => block.startsWith('event: next\ndata: '))
    .map((block) => block.slice('event: next\ndata: '.length));
}

/** The JSON of every multipart part's `payload` in `text`, in order (heartbeats `{}` left out). */
export function multipartPayloads(text: string): string[] {
  const head = '\r\ncontent-type: application/json; charset=utf-8\r\n\r\n{"payload":';
  // Each part ends with the delimiter; what follows the last one is still arriving (or the end).
  return text
    .split('\r\n--graphql')
    .slice(0, -1)
    .filter((partText) => partText.startsWith(head))
    .map((partText) => partText.slice(head.length, -1));
}

/** Every SSE event that has fully arrived in `text` (comments, the pings, left out): its type and data. */
export function sseEvents(text: string): Array<{ readonly event: string; readonly data: string }> {
  return text
    .split('\n\n')
    .slice(0, -1)
    .filter((block) => block.startsWith('event: '))
    .map((block) => {
      const [eventLine = '', dataLine = ''] = block.split('\n');
      return { event: eventLine.slice('event: '.length), data: dataLine.replace(/^data: ?/, '') };
    });
}

/** The closing delimiter of a multipart body. */
export const MULTIPART_END = '\r\n--graphql--\r\n';

/** Every multipart part that has fully arrived in `text`, parsed (heartbeats `{}` and transport-level parts included). */
export function multipartParts(text: string): unknown[] {
  const headers = '\r\ncontent-type: application/json; charset=utf-8\r\n\r\n';
  // The body opens with a delimiter and each part ends with one: what follows the last is still arriving (or the end).
  return text
    .split('\r\n--graphql')
    .slice(1, -1)
    .filter((partText) => partText.startsWith(headers))
    .map((partText): unknown => JSON.parse(partText.slice(headers.length)));
}
