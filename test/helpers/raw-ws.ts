/**
 * A raw graphql-ws subscriber for tests that compare bytes: connects with the
 * `graphql-transport-ws` subprotocol, completes the handshake, subscribes, and
 * keeps the raw text of every `next` message as the gateway sent it.
 */
import WebSocket from 'ws';

export interface RawSubscriber {
  /** The raw text of every `next` message, in order. */
  readonly nexts: string[];
  /** Every other message (`error`, `complete`), raw. */
  readonly others: string[];
  close(): void;
}

const HANDSHAKE_MS = 5_000;

export function rawSubscribe(
  url: string,
  query: string,
  variables: Record<string, unknown>,
  connectionParams?: Record<string, unknown>,
): Promise<RawSubscriber> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, ['graphql-transport-ws']);
    const nexts: string[] = [];
    const others: string[] = [];
    const subscriber: RawSubscriber = {
      nexts,
      others,
      close: () => {
        if (socket.readyState === WebSocket.OPEN || socket.readyState === WebSocket.CONNECTING) socket.close(1000);
      },
    };
    const timer = setTimeout(() => {
      socket.terminate();
      reject(new Error('graphql-ws handshake timed out'));
    }, HANDSHAKE_MS);
    socket.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    socket.on('open', () =>
      socket.send(JSON.stringify({ type: 'connection_init', ...(connectionParams === undefined ? {} : { payload: connectionParams }) })),
    );
    socket.on('message', (data) => {
      const text = String(data);
      const message = JSON.parse(text) as { type: string };
      if (message.type === 'connection_ack') {
        socket.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query, variables } }));
        clearTimeout(timer);
        resolve(subscriber);
      } else if (message.type === 'next') nexts.push(text);
      else if (message.type !== 'ping' && message.type !== 'pong') others.push(text);
    });
  });
}
