/**
 * The simulator's REST endpoints, the public ones Coincall's instrument
 * registry reads: `GET /time`, `GET /open/public/config/v1` (perpetuals and
 * option underlyings) and `GET /open/option/getInstruments/{base}` (listed
 * options), answered from the simulator's listing at the time of the request,
 * in the exchange's wrapper. Anything else is a 404 in the same wrapper; a
 * method other than GET a 405. `server.ts` routes plain HTTP requests here.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { CONFIG_PATH } from '../coincall/rest.ts';
import { underlyingSpec } from './instrument-specs.ts';
import type { SimulatorListing } from './simulated-listing.ts';
import { answer, baseOf, configEntry, optionRow } from './rest-rows.ts';

export const TIME_PATH = '/time';
/** Where the option list of a base sits: `/open/option/getInstruments/BTC`. */
const INSTRUMENTS_PREFIX = '/open/option/getInstruments/';
/** Order size of the simulated options: the smallest lot. */
const OPTION_MIN_QTY = 0.01;

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function failure(res: ServerResponse, status: number, msg: string): void {
  send(res, status, answer(null, { code: status, msg }));
}

/** `data` of the config endpoint: every simulated underlying is a perpetual and an option underlying. */
function configData(listing: SimulatorListing): Record<string, unknown> {
  const entry = (symbol: string, option: boolean) => {
    const spec = underlyingSpec(symbol);
    const tick = spec === undefined ? 1 : option ? spec.optionTick : spec.tick;
    const decimals = spec?.sizeDecimals ?? 0;
    return [
      symbol,
      configEntry(symbol, { tickSize: tick, tickDecimal: undefined, qtyDecimal: decimals, minQty: 10 ** -decimals }),
    ] as const;
  };
  return {
    optionConfig: Object.fromEntries(listing.optionUnderlyings().map((s) => entry(s, true))),
    futuresConfig: Object.fromEntries(listing.futures().map((s) => entry(s, false))),
  };
}

function optionRows(listing: SimulatorListing, base: string, now: number): Record<string, unknown>[] | undefined {
  const underlying = listing.optionUnderlyings().find((u) => baseOf(u) === base);
  if (underlying === undefined) return undefined;
  const tickSize = underlyingSpec(underlying)?.optionTick ?? 1;
  return listing.options(underlying, now).map((o) => optionRow({ ...o, tickSize, minQty: OPTION_MIN_QTY }));
}

/** Answers one plain HTTP request from the listing at `now`. */
export function serveRest(req: IncomingMessage, res: ServerResponse, listing: SimulatorListing, now: number): void {
  const path = (req.url ?? '/').split('?')[0] ?? '/';
  if (req.method !== 'GET' && req.method !== 'HEAD') return failure(res, 405, 'Method Not Allowed');
  if (path === TIME_PATH) return send(res, 200, answer({ serverTime: now }));
  if (path === CONFIG_PATH) return send(res, 200, answer(configData(listing)));
  if (path.startsWith(INSTRUMENTS_PREFIX)) {
    const rows = optionRows(listing, decodeURIComponent(path.slice(INSTRUMENTS_PREFIX.length)), now);
    if (rows !== undefined) return send(res, 200, answer(rows));
  }
  failure(
    res,
    404,
    'Not Found: the simulator serves WebSocket /options and /futures, and REST GET /time, /open/public/config/v1, /open/option/getInstruments/{base}',
  );
}
