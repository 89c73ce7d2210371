/**
 * A stand-in for Coincall's public REST API (the instrument endpoints), for
 * the instrument registry's tests: a real `node:http` server on 127.0.0.1,
 * port 0, serving a listing you can change while it runs, plus switches for
 * the ways the real one fails (an error status, a body of your choosing, no
 * answer at all) and a log of every request with an event per request.
 *
 * The row builders live in `src/simulator/rest-rows.ts` (the simulator serves
 * its own listing with them); they are re-exported here.
 */
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { listingAnswers, type Listing } from '../../src/simulator/rest-rows.ts';

export * from '../../src/simulator/rest-rows.ts';

// ---- the server -----------------------------------------------------------

/** Instead of the body: an HTTP status (with an error wrapper), or `hold` (no answer until closed). */
export type Failure = number | 'hold';

export interface RestExchange {
  /** `http://127.0.0.1:PORT`. */
  readonly url: string;
  /** The path of every request, in order. */
  readonly requests: string[];
  /** Serves another listing from now on (overrides set with `serve` stay). */
  setListing(listing: Listing): void;
  /** Serves this body (a string as is, anything else as JSON) for a path from now on. */
  serve(path: string, body: unknown): void;
  /** Fails one path, or every path with `'*'`; `undefined` heals it. */
  fail(path: string, failure: Failure | undefined): void;
  /** Resolves once `count` requests in all have arrived. */
  requestCount(count: number): Promise<void>;
  close(): Promise<void>;
}

export async function startRestExchange(listing: Listing): Promise<RestExchange> {
  let bodies = listingAnswers(listing);
  const overrides = new Map<string, unknown>();
  const failures = new Map<string, Failure>();
  const requests: string[] = [];
  const waiters: { count: number; resolve: () => void }[] = [];

  const send = (res: ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(typeof body === 'string' ? body : JSON.stringify(body));
  };

  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    requests.push(path);
    for (const waiter of [...waiters]) {
      if (requests.length < waiter.count) continue;
      waiters.splice(waiters.indexOf(waiter), 1);
      waiter.resolve();
    }
    const failure = failures.get(path) ?? failures.get('*');
    if (failure === 'hold') return;
    if (failure !== undefined) return send(res, failure, { code: failure, msg: 'Internal Server Error', data: null });
    const body = overrides.has(path) ? overrides.get(path) : bodies.get(path);
    if (body === undefined) return send(res, 404, { code: 404, msg: 'Not Found', data: null });
    send(res, 200, body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    setListing: (next) => void (bodies = listingAnswers(next)),
    serve: (path, body) => void overrides.set(path, body),
    fail: (path, failure) => void (failure === undefined ? failures.delete(path) : failures.set(path, failure)),
    requestCount: (count) =>
      requests.length >= count ? Promise.resolve() : new Promise((resolve) => void waiters.push({ count, resolve })),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A loopback URL where nothing listens (a port that was just closed). */
export async function unreachableUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}
