/**
 * The simulated account's margin: marks, initial margin per position, the
 * account's totals (unrealised PnL, margin, delta, equity), the pre-trade
 * check that keeps it solvent, and the liquidation of a shortfall when prices
 * move against it. The account (accounts.ts) owns the positions; this reads
 * and, for a liquidation, closes them.
 */
import type { MarketName } from '../coincall/protocol.ts';
import type { Market } from './market.ts';

export const FUTURES_LEVERAGE = 10;
export const MAINTENANCE_OVER_INITIAL = 0.5;
/** Short options: initial margin as a fraction of the index, on top of the premium. */
const OPTION_SHORT_MARGIN = 0.1;
/**
 * What one position may be worth, at most, as a multiple of the account's
 * cash (a fill that would grow it beyond is refused): its notional (futures:
 * size × mark; options: contracts × index), so
 * the demo account's equity moves like a modest book's, a few tenths of a
 * per cent a minute, not like a hundredfold bet.
 */
export const MAX_POSITION_NOTIONAL_OVER_CASH = 2;

export interface Position {
  readonly market: MarketName;
  qty: number;
  avgPrice: number;
  realized: number;
}

export interface MarginTotals {
  readonly upnl: number;
  readonly im: number;
  readonly delta: number;
  readonly equity: number;
}

export class Margin {
  private readonly market: Market;
  private readonly positions: Map<string, Position>;
  private readonly cash: number;

  constructor(market: Market, positions: Map<string, Position>, cash: number) {
    this.market = market;
    this.positions = positions;
    this.cash = cash;
  }

  markOf(symbol: string, market: MarketName): number | undefined {
    const mark = market === 'futures' ? this.market.futuresMark(symbol) : this.market.optionQuote(symbol)?.quote.price;
    return mark === undefined || Number.isNaN(mark) ? undefined : mark;
  }

  initialMargin(symbol: string, p: Position, mark: number): number {
    if (p.market === 'futures') return (Math.abs(p.qty) * mark) / FUTURES_LEVERAGE;
    if (p.qty >= 0) return 0;
    const underlying = symbol.slice(0, symbol.indexOf('-'));
    return -p.qty * (OPTION_SHORT_MARGIN * this.market.indexOf(underlying) + mark);
  }

  /** A position's notional: futures size × mark; options contracts × index. */
  notionalOf(symbol: string, p: Position): number {
    if (p.market === 'futures') return Math.abs(p.qty) * (this.market.futuresMark(symbol) ?? 0);
    return Math.abs(p.qty) * this.market.indexOf(symbol.slice(0, symbol.indexOf('-')));
  }

  /** The account's figures over every position. */
  totals(): MarginTotals {
    let upnl = 0;
    let im = 0;
    let delta = 0;
    for (const [symbol, p] of this.positions) {
      const mark = this.markOf(symbol, p.market);
      if (mark === undefined) continue;
      upnl += p.qty * (mark - p.avgPrice);
      im += this.initialMargin(symbol, p, mark);
      delta += p.market === 'futures' ? p.qty : p.qty * (this.market.optionQuote(symbol)?.quote.delta ?? 0);
    }
    const realized = [...this.positions.values()].reduce((sum, p) => sum + p.realized, 0);
    return { upnl, im, delta, equity: this.cash + realized + upnl };
  }

  /**
   * Whether the account can carry `change` (a fill on `symbol`): its initial
   * margin stays within its equity afterwards. The exchange refuses what the
   * margin cannot carry, so trading never makes the account insolvent. The
   * position is put back as it was either way.
   */
  canCarry(symbol: string, change: () => void): boolean {
    const before = this.positions.get(symbol);
    const saved = before === undefined ? undefined : { ...before };
    change();
    const { im, equity } = this.totals();
    const after = this.positions.get(symbol);
    const notional = after === undefined ? 0 : this.notionalOf(symbol, after);
    if (saved === undefined) this.positions.delete(symbol);
    else this.positions.set(symbol, saved);
    // A fill that reduces a position is always carried; one that grows it stays within the cap.
    const grows = notional > (saved === undefined ? 0 : this.notionalOf(symbol, saved));
    return equity - im >= 0 && (!grows || notional <= MAX_POSITION_NOTIONAL_OVER_CASH * this.cash);
  }

  /**
   * When prices moved against the account so far that its initial margin
   * exceeds its equity, closes positions at the mark (the one holding the
   * most margin first) until it no longer does, as the exchange's
   * liquidation would: the demo account never shows a negative available balance.
   */
  liquidateShortfall(): void {
    for (let totals = this.totals(); totals.equity - totals.im < 0; totals = this.totals()) {
      let worst: { p: Position; mark: number; im: number } | undefined;
      for (const [symbol, p] of this.positions) {
        const mark = this.markOf(symbol, p.market);
        if (mark === undefined) continue;
        const im = this.initialMargin(symbol, p, mark);
        if (im > 0 && (worst === undefined || im > worst.im)) worst = { p, mark, im };
      }
      if (worst === undefined) return;
      worst.p.realized += worst.p.qty * (worst.mark - worst.p.avgPrice);
      worst.p.qty = 0;
      worst.p.avgPrice = worst.mark;
    }
  }
}
