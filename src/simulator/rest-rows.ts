/**
 * Coincall's public REST answers about instruments, built from plain specs:
 * the wrapper, option rows, config entries, and every path of a listing with
 * the body it answers. Pure (they import only `coincall/`): the simulator
 * serves its own listing with them, and the registry's tests' stand-in
 * server serves theirs. They write what `coincall-protocol.md` documents:
 * `"strike"` a JSON number, timestamps in ms, some numbers as strings.
 */
import { CONFIG_PATH, optionInstrumentsPath } from '../coincall/rest.ts';
import { optionSymbol } from '../coincall/symbols.ts';

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
