/**
 * A raw `graphql-transport-ws` test client: sends whatever a test hands it
 * (well-formed messages, garbage, binary frames), records every message the
 * gateway sends, and reports the close code or the HTTP status of a refused
 * upgrade. Every client opened here is closed by `closeRawClients()`.
 */
import WebSocket from 'ws';

export const GRAPHQL_WS_PROTOCOL = 'graphql-transport-ws';
const WAIT_MS = 5_000;

export interface Closed {
  readonly code: number;
  readonly reason: string;
}

export interface Message {
  readonly type: string;
  readonly id?: string;
  readonly payload?: unknown;
}

const open = new Set<WebSocket>();

export async function closeRawClients(): Promise<void> {
  for (const socket of open) socket.terminate();
  open.clear();
}

export class RawClient {
  readonly messages: Message[] = [];
  readonly closed: Promise<Closed>;
  readonly socket: WebSocket;
  private readonly listeners = new Set<() => void>();

  private constructor(socket: WebSocket) {
    this.socket = socket;
    socket.on('message', (data) => {
      try {
        this.messages.push(JSON.parse(String(data)) as Message);
      } catch {
        this.messages.push({ type: 'unparsable' });
      }
      for (const listener of [...this.listeners]) listener();
    });
    socket.on('error', () => undefined);
    this.closed = new Promise((resolve) => socket.on('close', (code, reason) => resolve({ code, reason: String(reason) })));
  }

  /** Opens a socket; rejects with `{ status }` when the upgrade is refused. */
  static connect(url: string, protocols: readonly string[] = [GRAPHQL_WS_PROTOCOL]): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const socket = new WebSocket(url, [...protocols]);
      open.add(socket);
      socket.once('close', () => open.delete(socket));
      const client = new RawClient(socket);
      socket.once('open', () => resolve(client));
      socket.once('unexpected-response', (_req, res) => {
        let body = '';
        res.on('data', (chunk: Buffer) => (body += String(chunk)));
        res.on('end', () =>
          reject(Object.assign(new Error(`upgrade refused with HTTP ${res.statusCode}`), { status: res.statusCode, body })),
        );
        res.on('error', () => undefined);
      });
      socket.once('error', (error) => reject(error));
    });
  }

  /** Connects and completes `connection_init` / `connection_ack`. */
  static async ready(url: string, connectionParams?: Record<string, unknown>): Promise<RawClient> {
    const client = await RawClient.connect(url);
    client.send({ type: 'connection_init', ...(connectionParams === undefined ? {} : { payload: connectionParams }) });
    await client.waitFor((m) => m.type === 'connection_ack');
    return client;
  }

  send(message: string | Buffer | object): void {
    if (this.socket.readyState !== WebSocket.OPEN) return;
    if (Buffer.isBuffer(message)) this.socket.send(message, { binary: true });
    else this.socket.send(typeof message === 'string' ? message : JSON.stringify(message));
  }

  subscribe(id: string, query: string, variables?: Record<string, unknown>): void {
    this.send({ id, type: 'subscribe', payload: { query, ...(variables === undefined ? {} : { variables }) } });
  }

  get isOpen(): boolean {
    return this.socket.readyState === WebSocket.OPEN;
  }

  /** Resolves with the first message (from `from` on) that matches. */
  waitFor(match: (m: Message) => boolean, from = 0, timeoutMs = WAIT_MS): Promise<Message> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const found = this.messages.slice(from).find(match);
        if (found === undefined) return false;
        cleanup();
        resolve(found);
        return true;
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`no matching message within ${timeoutMs} ms; got ${JSON.stringify(this.messages.slice(-5))}`));
      }, timeoutMs);
      const cleanup = () => {
        clearTimeout(timer);
        this.listeners.delete(listener);
      };
      const listener = () => void check();
      this.listeners.add(listener);
      check();
    });
  }

  close(): void {
    this.socket.close(1000);
  }
}

/** Resolves with the close, or rejects if the socket is still open after `timeoutMs`. */
export function closedWithin(client: RawClient, timeoutMs = WAIT_MS): Promise<Closed> {
  return Promise.race([
    client.closed,
    new Promise<Closed>((_, reject) => setTimeout(() => reject(new Error('socket still open')), timeoutMs)),
  ]);
}
