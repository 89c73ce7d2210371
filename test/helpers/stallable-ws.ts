/**
 * A graphql-ws client for overload tests that can stop reading: it speaks
 * the protocol by hand over `ws`, keeps every message it received (parsed),
 * and `pause()` stops reading its TCP socket (the kernel buffers fill, then
 * the server's), as a client on a stalled network or a frozen tab does.
 */
import type { Socket } from 'node:net';
import WebSocket from 'ws';
import { onDispose } from './gateway.ts';

export interface Message {
  readonly id?: string;
  readonly type: string;
  readonly payload?: {
    readonly data?: Record<string, unknown> | null;
    readonly errors?: ReadonlyArray<{ message: string; extensions?: Record<string, unknown> }>;
  };
}

export interface StallableClient {
  readonly messages: Message[];
  readonly closed: Promise<number>;
  readonly isOpen: () => boolean;
  subscribe(id: string, query: string, variables?: Record<string, unknown>): void;
  /** Stops reading the socket. */
  pause(): void;
  resume(): void;
  /** Resolves once a message matching `match` arrived (checks what already did). */
  waitFor(match: (message: Message) => boolean, timeoutMs?: number): Promise<Message>;
}

const HANDSHAKE_MS = 5_000;

export function stallableClient(url: string): Promise<StallableClient> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, ['graphql-transport-ws']);
    let tcp: Socket | undefined;
    const messages: Message[] = [];
    const watchers = new Set<() => void>();
    ws.on('upgrade', (response) => {
      tcp = response.socket;
    });
    const closed = new Promise<number>((done) => ws.on('close', (code) => done(code)));
    onDispose(() => {
      tcp?.resume();
      ws.terminate();
    });
    const timer = setTimeout(() => reject(new Error('graphql-ws handshake timed out')), HANDSHAKE_MS);
    ws.on('error', reject);
    ws.on('open', () => ws.send(JSON.stringify({ type: 'connection_init' })));
    ws.on('message', (data) => {
      const message = JSON.parse(String(data)) as Message;
      if (message.type === 'ping') ws.send(JSON.stringify({ type: 'pong' }));
      messages.push(message);
      for (const watcher of [...watchers]) watcher();
      if (message.type !== 'connection_ack') return;
      clearTimeout(timer);
      resolve({
        messages,
        closed,
        isOpen: () => ws.readyState === WebSocket.OPEN,
        subscribe: (id, query, variables = {}) => ws.send(JSON.stringify({ id, type: 'subscribe', payload: { query, variables } })),
        pause: () => tcp?.pause(),
        resume: () => tcp?.resume(),
        waitFor: (match, timeoutMs = 20_000) =>
          new Promise<Message>((found, fail) => {
            const check = () => {
              const hit = messages.find(match);
              if (hit === undefined) return;
              watchers.delete(check);
              clearTimeout(deadline);
              found(hit);
            };
            const deadline = setTimeout(() => {
              watchers.delete(check);
              fail(new Error('timed out waiting for a message'));
            }, timeoutMs);
            watchers.add(check);
            check();
          }),
      });
    });
  });
}
