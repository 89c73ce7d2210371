/**
 * The BTCUSD trade tape, over Apollo's default `HttpLink` (the subscription
 * streams as multipart HTTP): the recent trades from the `futuresTrades`
 * query, then each window's new trades on top, a trade never shown twice.
 */
import { useLiveQuery } from './live-query.ts';
import { TRADES_QUERY, TRADES_SUBSCRIPTION, type Trade } from './operations.ts';
import { Problem } from './Problem.tsx';
import { SYMBOL, TAPE_LENGTH, TRADES_THROTTLE_MS } from './settings.ts';

/** Newest first, each trade once (by its stable `id`), at most TAPE_LENGTH. */
export function joinTape(newer: readonly Trade[], older: readonly Trade[]): Trade[] {
  const seen = new Set<string>();
  return [...newer, ...older].filter((t) => !seen.has(t.id) && seen.add(t.id) !== undefined).slice(0, TAPE_LENGTH);
}

const time = (iso: string) => iso.slice(11, 23);

export function TradeTape() {
  const { data, queryError, streamError, updates } = useLiveQuery({
    query: TRADES_QUERY,
    subscription: TRADES_SUBSCRIPTION,
    variables: { symbol: SYMBOL, limit: TAPE_LENGTH },
    subscriptionVariables: { throttleMs: TRADES_THROTTLE_MS },
    merge: (previous, next) => ({ futuresTrades: joinTape(next.futuresTrades, previous?.futuresTrades ?? []) }),
  });
  const trades = data?.futuresTrades ?? [];
  return (
    <section data-testid="trades" className="panel trades">
      <h2>
        Trades <small>multipart HTTP · throttleMs {TRADES_THROTTLE_MS}</small>
      </h2>
      <p className="muted">
        <span data-testid="trade-updates">{updates}</span> updates
      </p>
      <Problem what="Snapshot" message={queryError} />
      <Problem what="Stream" message={streamError} />
      <table className="tape">
        <thead>
          <tr>
            <th>time</th>
            <th>side</th>
            <th>price</th>
            <th>volume</th>
          </tr>
        </thead>
        <tbody>
          {trades.map((t) => (
            <tr key={t.id} data-trade-id={t.id} className={t.side === 'SELL' ? 'ask' : 'bid'}>
              <td>{time(t.timestamp)}</td>
              <td>{t.side ?? '—'}</td>
              <td className="price">{t.price}</td>
              <td>{t.volume}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
