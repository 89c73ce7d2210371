/**
 * A tiny WebSocket test client: connects (reporting the HTTP status of a
 * refused upgrade), records every text frame, and waits for frames matching a
 * predicate or for the close.
 */
import WebSocket from 'ws';

export const DEFAULT_WAIT_MS = 8_000;

export class UpgradeRefused extends Error {
  readonly status: number;
  constructor(status: number) {
    super(`upgrade refused with HTTP ${status}`);
    this.status = status;
  }
}

export interface Received {
  readonly text: string;
  readonly index: number;
}

export class TestClient {
  readonly texts: string[] = [];
  readonly closed: Promise<{ readonly code: number; readonly reason: string }>;
  private readonly socket: WebSocket;
  private readonly listeners = new Set<() => void>();

  private constructor(socket: WebSocket) {
    this.socket = socket;
    socket.on('message', (data) => {
      this.texts.push(String(data));
      for (const listener of [...this.listeners]) listener();
    });
    this.closed = new Promise((resolve) => socket.on('close', (code, reason) => resolve({ code, reason: String(reason) })));
  }

  static connect(url: string): Promise<TestClient> {
    return new Promise((resolve, reject) => {
      const socket = new WebSocket(url);
      const client = new TestClient(socket);
      socket.once('open', () => resolve(client));
      socket.once('unexpected-response', (_req, res) => {
        reject(new UpgradeRefused(res.statusCode ?? 0));
        socket.terminate();
      });
      socket.once('error', (error) => reject(error));
    });
  }

  send(message: string | object): void {
    this.socket.send(typeof message === 'string' ? message : JSON.stringify(message));
  }

  get isOpen(): boolean {
    return this.socket.readyState === WebSocket.OPEN;
  }

  /** The first frame at or after `from` whose text satisfies `match`. */
  waitFor(match: (text: string) => boolean, from = 0, timeoutMs = DEFAULT_WAIT_MS): Promise<Received> {
    return new Promise((resolve, reject) => {
      let cursor = from;
      const check = () => {
        for (; cursor < this.texts.length; cursor++) {
          const text = this.texts[cursor] as string;
          if (match(text)) {
            done();
            resolve({ text, index: cursor });
            return;
          }
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`no matching frame within ${timeoutMs} ms (${this.texts.length} received)`));
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        this.listeners.delete(check);
      };
      this.listeners.add(check);
      check();
    });
  }

  /** Waits until `count` frames at or after `from` satisfy `match`; returns them. */
  async collect(match: (text: string) => boolean, count: number, from = 0, timeoutMs = DEFAULT_WAIT_MS): Promise<Received[]> {
    const out: Received[] = [];
    let cursor = from;
    while (out.length < count) {
      const got = await this.waitFor(match, cursor, timeoutMs);
      out.push(got);
      cursor = got.index + 1;
    }
    return out;
  }

  close(): void {
    this.socket.terminate();
  }
}
