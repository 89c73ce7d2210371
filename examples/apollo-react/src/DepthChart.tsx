/**
 * The book as a depth chart: an SVG with the cumulative volume (`total`) of
 * the bids stepping down to the left of the spread and of the asks stepping up
 * to the right, price on the x axis.
 */
import type { OrderBook, PriceLevel } from './operations.ts';

const WIDTH = 640;
const HEIGHT = 220;
const PAD = 24;

interface Point {
  readonly price: number;
  readonly total: number;
}

const points = (levels: readonly PriceLevel[]): Point[] => levels.map((l) => ({ price: Number(l.price), total: Number(l.total) }));

/** A step path from the spread outwards, closed along the x axis so it can be filled. */
function stepPath(side: readonly Point[], x: (p: number) => number, y: (t: number) => number): string {
  const [first] = side;
  if (first === undefined) return '';
  let d = `M${x(first.price)},${y(0)}`;
  let previous = 0;
  for (const p of side) {
    d += ` L${x(p.price)},${y(previous)} L${x(p.price)},${y(p.total)}`;
    previous = p.total;
  }
  const last = side[side.length - 1] ?? first;
  return `${d} L${x(last.price)},${y(0)} Z`;
}

export function DepthChart({ book }: { readonly book: OrderBook }) {
  const bids = points(book.bids);
  const asks = points(book.asks);
  const all = [...bids, ...asks];
  if (all.length === 0) return <p className="muted">No levels.</p>;
  const low = Math.min(...all.map((p) => p.price));
  const high = Math.max(...all.map((p) => p.price));
  const top = Math.max(...all.map((p) => p.total));
  const x = (price: number) => PAD + ((price - low) / (high - low || 1)) * (WIDTH - 2 * PAD);
  const y = (total: number) => HEIGHT - PAD - (total / (top || 1)) * (HEIGHT - 2 * PAD);
  return (
    <svg data-testid="depth-chart" viewBox={`0 0 ${WIDTH} ${HEIGHT}`} role="img" aria-label={`Depth chart of ${book.symbol}`}>
      <line x1={PAD} y1={y(0)} x2={WIDTH - PAD} y2={y(0)} className="axis" />
      <path d={stepPath(bids, x, y)} className="bids-area" data-side="bids" />
      <path d={stepPath(asks, x, y)} className="asks-area" data-side="asks" />
      <text x={PAD} y={HEIGHT - 6} className="tick">
        {low}
      </text>
      <text x={WIDTH - PAD} y={HEIGHT - 6} className="tick" textAnchor="end">
        {high}
      </text>
      <text x={PAD} y={PAD - 8} className="tick">
        Σ {top}
      </text>
    </svg>
  );
}
