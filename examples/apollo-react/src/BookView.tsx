/**
 * The BTCUSD book, over the WebSocket (`GraphQLWsLink`): a snapshot from the
 * `futuresOrderBook` query, then the subscription of the same name, at most
 * one book per `throttleMs`, drawn as a depth chart and a ladder.
 */
import { VIA_WEBSOCKET } from './client.ts';
import { DepthChart } from './DepthChart.tsx';
import { Ladder } from './Ladder.tsx';
import { useLiveQuery } from './live-query.ts';
import { BOOK_QUERY, BOOK_SUBSCRIPTION } from './operations.ts';
import { Problem } from './Problem.tsx';
import { BOOK_DEPTH, BOOK_THROTTLE_MS, SYMBOL } from './settings.ts';

export function BookView() {
  const { data, queryError, streamError, updates } = useLiveQuery({
    query: BOOK_QUERY,
    subscription: BOOK_SUBSCRIPTION,
    variables: { symbol: SYMBOL, depth: BOOK_DEPTH },
    subscriptionVariables: { throttleMs: BOOK_THROTTLE_MS },
    context: VIA_WEBSOCKET,
  });
  const book = data?.futuresOrderBook;
  return (
    <section data-testid="book" className="panel book">
      <h2>
        {SYMBOL} order book <small>graphql-ws · throttleMs {BOOK_THROTTLE_MS}</small>
      </h2>
      <p className="muted">
        <span data-testid="book-timestamp">{book?.timestamp ?? '—'}</span> · <span data-testid="book-updates">{updates}</span> updates
      </p>
      <Problem what="Snapshot" message={queryError} />
      <Problem what="Stream" message={streamError} />
      {book === undefined ? (
        <p className="muted">Waiting for the book…</p>
      ) : (
        <>
          <DepthChart book={book} />
          <Ladder book={book} />
        </>
      )}
    </section>
  );
}
