/**
 * What channels ask of an instrument list: is this symbol, underlying or
 * expiry listed, and if not, a message naming close listed alternatives.
 * Declared here (channels/ imports only lib/ and coincall/); the upstream
 * instrument registry satisfies it structurally and the server hands it to
 * argument parsing through the request context. Every check answers ok while
 * no list is loaded: the format checks of `args.ts` then stand alone.
 */

/** A check's verdict; a refusal carries the message the client sees (after the field name). */
export type ListingCheck = { readonly ok: true } | { readonly ok: false; readonly message: string };

export interface Listing {
  /** Whether a perpetual (`BTCUSD`) is listed. */
  checkFuturesSymbol(symbol: string): ListingCheck;
  /** Whether an option underlying (`BTCUSD`) is listed. */
  checkUnderlying(underlying: string): ListingCheck;
  /** Whether an option (`BTCUSD-27MAY23-24000-P`) is listed and live. */
  checkOption(symbol: string): ListingCheck;
  /** Whether options of an underlying expire at `expiry` (ms). */
  checkExpiry(underlying: string, expiry: number): ListingCheck;
}

/** One listed instrument as GraphiQL's examples need it (the registry's rows fit). */
export interface ListedInstrument {
  readonly symbol: string;
  readonly expiry: number | null;
  readonly strike: string | null;
  readonly type: 'CALL' | 'PUT' | null;
}

/** The listed options of an underlying, for examples; empty while no list is loaded. */
export interface InstrumentList {
  list(filter: { readonly market: 'OPTIONS'; readonly underlying: string }): readonly ListedInstrument[];
}
