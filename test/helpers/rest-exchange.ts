/**
 * A stand-in for Coincall's public REST API (the instrument endpoints), for
 * the instrument registry's tests: a real `node:http` server on 127.0.0.1,
 * port 0, serving a listing you can change while it runs, plus switches for
 * the ways the real one fails (an error status, a body of your choosing, no
 * answer at all) and a log of every request with an event per request.
 *
 * The row builders at the top are pure (they import only `coincall/`), so the
 * simulator can serve the same answers from the same shapes: they write what
 * `coincall-protocol.md` documents, `"strike"` a JSON number, timestamps in ms.
 */
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CONFIG_PATH, optionInstrumentsPath } from '../../src/coincall/rest.ts';
import { optionSymbol } from '../../src/coincall/symbols.ts';

// ---- row builders (pure) --------------------------------------------------

/** `BTCUSD` -> `BTC`: the base an underlying's options are listed under. */
export const baseOf = (underlying: string): string => underlying.replace(/USD$/, '');

/** The wrapper every answer comes in. */
export function answer(data: unknown, wrapper: { readonly code?: unknown; readonly msg?: unknown } = {}): Record<string, unknown> {
  return { code: wrapper.code ?? 0, msg: wrapper.msg ?? 'Success', i18nArgs: null, data };
}

export interface OptionRowSpec {
  readonly underlying: string;
  readonly expiry: number;
  readonly strike: string;
  readonly type: 'CALL' | 'PUT';
  readonly tickSize?: number;
  readonly minQty?: number;
  readonly isActive?: boolean;
}

/** One row of `GET /open/option/getInstruments/{base}`. */
export function optionRow(spec: OptionRowSpec): Record<string, unknown> {
  return {
    baseCurrency: baseOf(spec.underlying),
    startTimestamp: spec.expiry - 7 * 86_400_000,
    expirationTimestamp: spec.expiry,
    strike: Number(spec.strike),
    symbolName: optionSymbol(spec.underlying, spec.expiry, spec.strike, spec.type),
    isActive: spec.isActive ?? true,
    minQty: spec.minQty ?? 0.01,
    tickSize: spec.tickSize ?? 1,
  };
}

/** A call and a put for every expiry and strike. */
export function optionRows(underlying: string, expiries: readonly number[], strikes: readonly string[]): Record<string, unknown>[] {
  return expiries.flatMap((expiry) =>
    strikes.flatMap((strike) => (['CALL', 'PUT'] as const).map((type) => optionRow({ underlying, expiry, strike, type }))),
  );
}

/** One entry of `futuresConfig` / `optionConfig` (numbers as the exchange sends them: some as strings). */
export function configEntry(symbol: string, fields: Readonly<Record<string, unknown>> = {}): Record<string, unknown> {
  return {
    symbol,
    base: baseOf(symbol),
    tickSize: '0.1',
    tickDecimal: 1,
    qtyDecimal: '3',
    minQty: 0.001,
    multiplier: 1,
    settle: 'USDT',
    takerFee: '0.0006',
    makerFee: '0.0002',
    limitMaxQty: 1000,
    marketMaxQty: 100,
    ...fields,
  };
}

export interface Listing {
  /** Listed perpetuals. */
  readonly futures: readonly string[];
  /** Option underlyings, each with its expiries and strikes (a call and a put of each). */
  readonly options: Readonly<Record<string, { readonly expiries: readonly number[]; readonly strikes: readonly string[] }>>;
}

/** The `data` of `GET /open/public/config/v1` for a listing. */
export function configData(listing: Listing): Record<string, unknown> {
  return {
    optionConfig: Object.fromEntries(Object.keys(listing.options).map((u) => [u, configEntry(u, { tickSize: 1, tickDecimal: 0 })])),
    futuresConfig: Object.fromEntries(listing.futures.map((f) => [f, configEntry(f)])),
  };
}

/** Every path of a listing with the body it answers. */
export function listingAnswers(listing: Listing): Map<string, unknown> {
  const out = new Map<string, unknown>([[CONFIG_PATH, answer(configData(listing))]]);
  for (const [underlying, chain] of Object.entries(listing.options))
    out.set(optionInstrumentsPath(baseOf(underlying)), answer(optionRows(underlying, chain.expiries, chain.strikes)));
  return out;
}

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
    requestCount: (count) => (requests.length >= count ? Promise.resolve() : new Promise((resolve) => void waiters.push({ count, resolve }))),
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
