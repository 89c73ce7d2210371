/**
 * Test harness: the whole gateway on loopback port 0 over its in-process
 * simulator, plus real clients (graphql-ws over `ws`, SSE over fetch) and a
 * log capture. Everything started here is disposed by `disposeAll()`.
 */
import { request } from 'node:http';
import { createClient, type Client, type ExecutionResult } from 'graphql-ws';
import WebSocket from 'ws';
import { startApp, type App, type AppOptions } from '../../src/app.ts';
import type { Config } from '../../src/config.ts';
import type { Logger } from '../../src/lib/logger.ts';
import { DEMO_ACCOUNT } from '../../src/simulator/index.ts';

const disposers: Array<() => Promise<void> | void> = [];

/** Registers something a test started, to be disposed by `disposeAll()` (last in, first out). */
export function onDispose(dispose: () => Promise<void> | void): void {
  disposers.push(dispose);
}

export async function disposeAll(): Promise<void> {
  while (disposers.length > 0) await disposers.pop()?.();
}

export const TEST_CONFIG: Config = {
  port: 0,
  host: '127.0.0.1',
  upstream: 'simulator',
  optionsWsUrl: 'ws://unused',
  futuresWsUrl: 'ws://unused',
  apiKey: undefined,
  apiSecret: undefined,
  logLevel: 'silent',
};

export const DEMO_CREDENTIAL = { apiKey: DEMO_ACCOUNT.apiKey, apiSecret: DEMO_ACCOUNT.apiSecret };

/** Log lines captured in memory, at every level. */
export interface CapturedLog {
  readonly logger: Logger;
  readonly lines: Array<{ level: string; obj: object; msg: string | undefined }>;
  text(): string;
}

export function captureLogs(): CapturedLog {
  const lines: CapturedLog['lines'] = [];
  const make = (bindings: object): Logger => {
    const at = (level: string) => (obj: object, msg?: string) => lines.push({ level, obj: { ...bindings, ...obj }, msg });
    return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error'), child: (b) => make({ ...bindings, ...b }) };
  };
  return { logger: make({}), lines, text: () => lines.map((l) => `${l.level} ${l.msg ?? ''} ${JSON.stringify(l.obj)}`).join('\n') };
}

export interface TestGateway extends App {
  readonly wsUrl: string;
  readonly logs: CapturedLog;
}

/** Starts the gateway on its simulator with fast timings for tests. */
export async function startTestGateway(
  options: Partial<Omit<AppOptions, 'config' | 'logger'>> & { config?: Partial<Config> } = {},
): Promise<TestGateway> {
  const logs = captureLogs();
  const app = await startApp({
    ...options,
    config: { ...TEST_CONFIG, ...options.config },
    logger: logs.logger,
    // Both wire forms in turn (the simulator's default is the live form), so every test through the gateway decodes both.
    simulator: { tickMs: 50, seed: 7, wireForm: 'mixed', ...options.simulator },
    upstream: { lingerMs: 100, connectionLingerMs: 100, ackWaitMs: 1_000, backoff: () => 20, ...options.upstream },
  });
  disposers.push(() => app.close());
  await waitFor(() => app.simulator === undefined || app.simulator.connectionCount() >= 2, 'public upstream connections');
  return Object.assign(app, { wsUrl: app.url.replace(/^http/, 'ws'), logs });
}

/** Waits until the gateway's simulator holds an upstream subscription of `dataType` for `symbol` (frames sent before would reach no one). */
export function subscribedUpstream(gateway: TestGateway, dataType: string, symbol: string): Promise<void> {
  return waitFor(
    () => gateway.simulator?.activeSubscriptions().some((s) => s.dataType === dataType && s.payload?.['symbol'] === symbol) === true,
    `the upstream ${dataType} subscription of ${symbol}`,
  );
}

export function wsClient(url: string, connectionParams?: Record<string, unknown>): Client {
  const client = createClient({
    url,
    webSocketImpl: WebSocket,
    retryAttempts: 0,
    lazy: true,
    ...(connectionParams === undefined ? {} : { connectionParams }),
  });
  disposers.push(() => client.dispose());
  return client;
}

export interface Operation {
  readonly query: string;
  readonly variables?: Record<string, unknown>;
  readonly operationName?: string;
}

/** Subscribes and collects `count` results (or fewer, if the stream ends first). */
export async function take(client: Client, operation: Operation, count: number, timeoutMs = 8_000): Promise<ExecutionResult[]> {
  const results: ExecutionResult[] = [];
  const iterator = client.iterate({
    query: operation.query,
    ...(operation.variables === undefined ? {} : { variables: operation.variables }),
    ...(operation.operationName === undefined ? {} : { operationName: operation.operationName }),
  });
  const timer = setTimeout(() => void iterator.return?.(), timeoutMs);
  try {
    for await (const result of iterator) {
      results.push(result as ExecutionResult);
      if (results.length >= count) break;
    }
  } catch (error) {
    results.push({ errors: Array.isArray(error) ? error : [{ message: String(error) }] } as ExecutionResult);
  } finally {
    clearTimeout(timer);
    await iterator.return?.();
  }
  return results;
}

export async function waitFor(check: () => boolean, what: string, timeoutMs = 8_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Reads Server-Sent Events from a POST to /graphql until `count` `next` events arrived. */
export async function sse(
  url: string,
  operation: Operation,
  count: number,
  headers: Record<string, string> = {},
  timeoutMs = 8_000,
  /** Told of each event as it arrives (the promise only settles at the end). */
  onEvent?: (event: unknown) => void,
): Promise<unknown[]> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  const events: unknown[] = [];
  try {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream', ...headers },
      body: JSON.stringify(operation),
      signal: controller.signal,
    });
    const reader = res.body?.getReader();
    if (reader === undefined) return events;
    const decoder = new TextDecoder();
    let buffer = '';
    while (events.length < count) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, { stream: true });
      let sep: number;
      while (events.length < count && (sep = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, sep);
        buffer = buffer.slice(sep + 2);
        const data = block
          .split('\n')
          .filter((l) => l.startsWith('data:'))
          .map((l) => l.slice(5).trim())
          .join('\n');
        if (!block.includes('event: next') || data === '') continue;
        const event: unknown = JSON.parse(data);
        events.push(event);
        onEvent?.(event);
      }
    }
    await reader.cancel();
  } catch (error) {
    if (!controller.signal.aborted) throw error;
  } finally {
    clearTimeout(timer);
    controller.abort();
  }
  return events;
}

/**
 * POSTs `operation` with an `Accept` header and reads the raw response body
 * until `until(body)` holds (then drops the response) or it ends: for
 * streamed answers (multipart, SSE) read byte by byte.
 */
export function postStreaming(
  url: string,
  accept: string,
  operation: Operation,
  until: (body: string) => boolean,
): Promise<{ status: number; type: string | undefined; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', agent: false, headers: { accept, 'content-type': 'application/json' } }, (res) => {
      let body = '';
      const done = () => {
        res.destroy();
        resolve({ status: res.statusCode ?? 0, type: res.headers['content-type'], body });
      };
      res.on('data', (chunk: Buffer) => {
        body += chunk.toString('utf8');
        if (until(body)) done();
      });
      res.on('end', done);
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(JSON.stringify(operation));
  });
}

/** Two more simulator accounts (besides the demo one, which signs the public connections). */
export const ALICE = { apiKey: 'aliceKEY+0000/1111/2222==', apiSecret: 'alice-SECRET-7f3a9c1e5b', userId: '1111111111' } as const;
export const BOB = { apiKey: 'bobKEY+3333/4444/5555==', apiSecret: 'bob-SECRET-2d8e4f6a0c', userId: '2222222222' } as const;
export const credentialOf = (account: { readonly apiKey: string; readonly apiSecret: string }) => ({
  apiKey: account.apiKey,
  apiSecret: account.apiSecret,
});
export const credentialHeaders = (account: { readonly apiKey: string; readonly apiSecret: string }) => ({
  'x-coincall-api-key': account.apiKey,
  'x-coincall-api-secret': account.apiSecret,
});

/** POSTs a GraphQL operation over plain HTTP; returns the status and the parsed body. */
export async function postGraphQL(
  url: string,
  operation: Operation | string,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json, application/json', ...headers },
    body: typeof operation === 'string' ? operation : JSON.stringify(operation),
  });
  const text = await res.text();
  let body: Record<string, unknown>;
  try {
    body = JSON.parse(text) as Record<string, unknown>;
  } catch {
    body = { raw: text };
  }
  return { status: res.status, body };
}

/** The `data` of a GraphQL query POSTed to `url`; throws with the errors when it has any. */
export async function queryData(url: string, query: string): Promise<unknown> {
  const { body } = await postGraphQL(url, { query });
  if (body['errors'] !== undefined) throw new Error(JSON.stringify(body['errors']));
  return body['data'];
}
