/**
 * The option chain of the next BTCUSD expiry, over multipart HTTP: the listed
 * expiries from the `expiries` query (the next 08:00 UTC when they cannot be
 * had), then the chain's snapshot and its stream, calls and puts side by side
 * by strike.
 */
import { useQuery } from '@apollo/client/react';
import { useLiveQuery } from './live-query.ts';
import { CHAIN_QUERY, CHAIN_SUBSCRIPTION, EXPIRIES_QUERY, type OptionTicker } from './operations.ts';
import { Problem } from './Problem.tsx';
import { CHAIN_THROTTLE_MS, EXPIRY_HOUR_UTC, UNDERLYING } from './settings.ts';

/** The first listed expiry after `now`; else the next 08:00 UTC. */
export function nextExpiry(listed: readonly string[] | undefined, now: number): string {
  const next = listed?.find((e) => Date.parse(e) > now);
  if (next !== undefined) return next;
  const day = new Date(now);
  day.setUTCHours(EXPIRY_HOUR_UTC, 0, 0, 0);
  if (day.getTime() <= now) day.setUTCDate(day.getUTCDate() + 1);
  return day.toISOString();
}

interface StrikeRow {
  readonly strike: string;
  call?: OptionTicker;
  put?: OptionTicker;
}

function byStrike(tickers: readonly OptionTicker[]): StrikeRow[] {
  const rows = new Map<string, StrikeRow>();
  for (const t of tickers) {
    const row = rows.get(t.strike) ?? { strike: t.strike };
    if (t.type === 'CALL') row.call = t;
    else row.put = t;
    rows.set(t.strike, row);
  }
  return [...rows.values()].sort((a, b) => Number(a.strike) - Number(b.strike));
}

const iv = (t: OptionTicker | undefined) => (t?.markIv == null ? '—' : `${(t.markIv * 100).toFixed(1)}%`);

export function OptionChainView({ now }: { readonly now: number }) {
  const expiries = useQuery(EXPIRIES_QUERY, { variables: { underlying: UNDERLYING } });
  const expiry = nextExpiry(expiries.data?.expiries, now);
  const { data, queryError, streamError, updates } = useLiveQuery({
    query: CHAIN_QUERY,
    subscription: CHAIN_SUBSCRIPTION,
    variables: { underlying: UNDERLYING, expiry },
    subscriptionVariables: { throttleMs: CHAIN_THROTTLE_MS },
    // Wait for the listed expiries (or their failure) before asking for a chain.
    skip: expiries.loading,
  });
  const rows = byStrike(data?.optionChain.tickers ?? []);
  return (
    <section data-testid="chain" className="panel chain">
      <h2>
        {UNDERLYING} options, <span data-testid="chain-expiry">{expiry.slice(0, 10)}</span>{' '}
        <small>multipart HTTP · throttleMs {CHAIN_THROTTLE_MS}</small>
      </h2>
      <p className="muted">
        <span data-testid="chain-updates">{updates}</span> updates
      </p>
      <Problem what="Expiries (using the next 08:00 UTC)" message={expiries.error?.message} />
      <Problem what="Snapshot" message={queryError} />
      <Problem what="Stream" message={streamError} />
      <table className="chain-table">
        <thead>
          <tr>
            <th>call bid</th>
            <th>call ask</th>
            <th>call IV</th>
            <th>strike</th>
            <th>put bid</th>
            <th>put ask</th>
            <th>put IV</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <tr key={r.strike} data-strike={r.strike}>
              <td>{r.call?.bid ?? '—'}</td>
              <td>{r.call?.ask ?? '—'}</td>
              <td>{iv(r.call)}</td>
              <th>{r.strike}</th>
              <td>{r.put?.bid ?? '—'}</td>
              <td>{r.put?.ask ?? '—'}</td>
              <td>{iv(r.put)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
