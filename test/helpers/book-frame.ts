/**
 * A recorded exchange frame for tests that need one per symbol: the futures
 * order book fixture, re-addressed to any symbol.
 */
import { readFileSync } from 'node:fs';

/** A recorded futures order book frame of BTCUSD, re-addressed to `symbol`. */
export function bookFrame(symbol: string): string {
  const fixture = JSON.parse(readFileSync(new URL('../fixtures/futuresOrderBook.json', import.meta.url), 'utf8')) as {
    cases: Array<{ frame: string }>;
  };
  return (fixture.cases[0]?.frame ?? '').replaceAll('"BTCUSD"', JSON.stringify(symbol));
}
