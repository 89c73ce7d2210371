/** What the page shows: one perpetual, its book's depth, and how often each view redraws at most. */
export const SYMBOL = 'BTCUSD';
export const UNDERLYING = 'BTCUSD';
export const BOOK_DEPTH = 15;
/** The book redraws at most this often (the gateway's `throttleMs`: the latest book per window). */
export const BOOK_THROTTLE_MS = 250;
/** Trades arrive in one list per window, none dropped. */
export const TRADES_THROTTLE_MS = 500;
export const CHAIN_THROTTLE_MS = 1_000;
/** Trades the tape keeps, and asks for first. */
export const TAPE_LENGTH = 30;
/** Options expire at 08:00 UTC. */
export const EXPIRY_HOUR_UTC = 8;
