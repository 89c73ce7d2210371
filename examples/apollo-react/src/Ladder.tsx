/**
 * The book as a ladder: bids on the left and asks on the right, best level on
 * top, each row with its price, volume and cumulative total, and a bar as wide
 * as its share of the larger side's total.
 */
import type { OrderBook, PriceLevel } from './operations.ts';

function Side({ levels, side, scale }: { readonly levels: readonly PriceLevel[]; readonly side: 'bid' | 'ask'; readonly scale: number }) {
  return (
    <table className={`ladder-side ${side}s`}>
      <thead>
        <tr>
          <th>{side === 'bid' ? 'bid' : 'ask'}</th>
          <th>volume</th>
          <th>total</th>
        </tr>
      </thead>
      <tbody>
        {levels.map((level) => {
          const share = scale > 0 ? Math.min(100, (Number(level.total) / scale) * 100) : 0;
          return (
            <tr key={level.price} className={side} data-side={side} data-price={level.price}>
              <td className="price">{level.price}</td>
              <td>{level.volume}</td>
              <td className="total">
                <span className="bar" style={{ width: `${share}%` }} />
                {level.total}
              </td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}

export function Ladder({ book }: { readonly book: OrderBook }) {
  const scale = Math.max(Number(book.bids.at(-1)?.total ?? 0), Number(book.asks.at(-1)?.total ?? 0));
  return (
    <div data-testid="ladder" className="ladder">
      <Side levels={book.bids} side="bid" scale={scale} />
      <Side levels={book.asks} side="ask" scale={scale} />
    </div>
  );
}
