/**
 * Private state of one simulated account: balance, resting orders that fill
 * (or get cancelled) over time, the fill signals of those fills and positions
 * consistent with them. Produces records in the channel tables' expanded form.
 */
import type { BalanceRecord, FillRecord, OrderRecord, PositionRecord, SimulatedAccount, SimulatedEvents } from '../channels/simulation.ts';
import type { MarketName } from '../coincall/protocol.ts';
import { optionSymbol } from '../coincall/symbols.ts';
import { decimalText, liveOption, listedExpiries, roundToStep, STRIKES_EACH_SIDE, strikeGrid, underlyingSpec } from './instrument-specs.ts';
import { FUTURES_LEVERAGE, MAINTENANCE_OVER_INITIAL, Margin, type Position } from './margin.ts';
import type { Market } from './market.ts';
import { chance, createRng, hashSeed, intBetween, pick, type Rng, uniform } from './random.ts';

export type { BalanceRecord, FillRecord, OrderRecord, PositionRecord };

export interface MarketEvents extends SimulatedEvents {
  readonly orders: OrderRecord[];
  readonly fills: FillRecord[];
}

/** Per tick: chance that one resting order fills (partly or fully), or is cancelled. */
const FILL_PROBABILITY = 0.35;
const CANCEL_PROBABILITY = 0.03;
/** The exchange's fill event type; its values are undocumented, the spec's examples all show 2. */
const FILL_EVENT_TYPE = 2;
const MIN_BALANCE = 10_000;
const BALANCE_SPREAD = 90_000;
const USD_DECIMALS = 2;
const OPTION_SIZE_DECIMALS = 1;
/** Order sizes, in lots of the instrument. */
const FUTURES_MIN_LOTS = 10;
const FUTURES_MAX_LOTS = 500;
const OPTION_MIN_LOTS = 1;
const OPTION_MAX_LOTS = 10;
/** How far from the mark an order rests, at most: a fill books next to nothing at once (equity moves with PnL). */
const MAX_ORDER_OFFSET = 0.0002;
/** Which listed expiry the account trades (the second one, so it never expires mid-test). */
const TRADED_EXPIRY_INDEX = 1;

interface RestingOrder {
  readonly oid: bigint;
  readonly coid: string | null;
  readonly symbol: string;
  readonly market: MarketName;
  readonly side: 'BUY' | 'SELL';
  readonly qty: number;
  readonly price: number;
  readonly sizeDecimals: number;
  readonly priceDecimals: number;
  filled: number;
  avgFill: number;
  readonly createdAt: number;
}

export class AccountState implements SimulatedAccount {
  readonly userId: string;
  private readonly rng: Rng;
  private readonly market: Market;
  private readonly nextOrderId: () => bigint;
  private readonly cash: number;
  private readonly margin: Margin;
  private readonly orders: RestingOrder[] = [];
  private readonly positions = new Map<string, Position>();
  private pending: Record<MarketName, MarketEvents> = emptyEvents();
  private coidCounter = 0;

  constructor(userId: string, seed: number, market: Market, nextOrderId: () => bigint, now: number) {
    this.userId = userId;
    this.rng = createRng(hashSeed(seed, `account:${userId}`));
    this.market = market;
    this.nextOrderId = nextOrderId;
    this.cash = MIN_BALANCE + roundToStep(hashSeed(seed, userId) % (BALANCE_SPREAD * 100), 1) / 100;
    this.margin = new Margin(market, this.positions, this.cash);
    for (const symbol of ['BTCUSD', 'ETHUSD']) this.placeOrder(symbol, now);
    const expiry = listedExpiries(now)[TRADED_EXPIRY_INDEX] ?? 0;
    const btc = underlyingSpec('BTCUSD');
    const atm = btc === undefined ? undefined : strikeGrid(btc, market.indexOf('BTCUSD'))[STRIKES_EACH_SIDE];
    if (atm !== undefined) {
      this.placeOrder(optionSymbol('BTCUSD', expiry, atm, 'CALL'), now);
      this.placeOrder(optionSymbol('BTCUSD', expiry, atm, 'PUT'), now);
      this.positions.set(optionSymbol('BTCUSD', expiry, atm, 'CALL'), {
        market: 'options',
        qty: 1,
        avgPrice: market.optionQuote(optionSymbol('BTCUSD', expiry, atm, 'CALL'))?.quote.price ?? 0,
        realized: 0,
      });
    }
    this.positions.set('BTCUSD', {
      market: 'futures',
      qty: roundToStep(uniform(this.rng, 0.01, 1), 0.001),
      avgPrice: market.futuresMark('BTCUSD'),
      realized: 0,
    });
    this.pending = emptyEvents();
  }

  /** Makes sure the account has a working order on `symbol` (so a fills subscription has something to show). */
  ensureOrder(symbol: string, now: number): void {
    if (!this.orders.some((o) => o.symbol === symbol)) this.placeOrder(symbol, now);
  }

  /** One tick: maybe a fill or a cancel. Returns the order and fill events of each market since the last step. */
  step(now: number): Record<MarketName, MarketEvents> {
    const order = chance(this.rng, FILL_PROBABILITY) ? pick(this.rng, this.orders) : undefined;
    if (order !== undefined) {
      if (chance(this.rng, CANCEL_PROBABILITY / FILL_PROBABILITY)) this.finish(order, 'CANCELED', now);
      else this.fill(order, now);
    }
    this.margin.liquidateShortfall();
    const events = this.pending;
    this.pending = emptyEvents();
    return events;
  }

  balanceRecord(): BalanceRecord {
    const { upnl, im, delta, equity } = this.margin.totals();
    const available = equity - im;
    const usd = (n: number) => decimalText(n, USD_DECIMALS);
    return {
      userId: this.userId,
      availableBalance: usd(available),
      dollarValue: usd(equity),
      equity: usd(equity),
      marginBalance: usd(equity),
      withdrawableBalance: usd(Math.max(0, available)),
      btcValue: decimalText(equity / this.market.indexOf('BTCUSD'), 8),
      unrealizedPnl: usd(upnl),
      initialMargin: usd(im),
      maintenanceMargin: usd(im * MAINTENANCE_OVER_INITIAL),
      delta: Number(delta.toFixed(6)),
      assets: [{ coin: 'USDT', availableBalance: usd(available) }],
    };
  }

  /** Position snapshots of a market; options positions may be limited to some underlyings. */
  positionRecords(market: MarketName, now: number, underlyings?: readonly string[]): PositionRecord[] {
    const out: PositionRecord[] = [];
    for (const [symbol, p] of this.positions) {
      if (p.market !== market) continue;
      if (underlyings !== undefined && !underlyings.some((u) => symbol === u || symbol.startsWith(`${u}-`))) continue;
      const mark = this.margin.markOf(symbol, market);
      if (mark === undefined) {
        this.positions.delete(symbol);
        continue;
      }
      out.push(this.positionRecord(symbol, p, mark, now));
    }
    return out;
  }

  private positionRecord(symbol: string, p: Position, mark: number, now: number): PositionRecord {
    const usd = (n: number) => decimalText(n, USD_DECIMALS);
    const im = this.margin.initialMargin(symbol, p, mark);
    const futures = p.market === 'futures';
    const quote = futures ? undefined : this.market.optionQuote(symbol)?.quote;
    const greek = (value: number | undefined) => (value === undefined ? null : Number((value * p.qty).toFixed(8)));
    const liquidation =
      futures && p.qty !== 0 ? p.avgPrice * (1 - Math.sign(p.qty) * (1 / FUTURES_LEVERAGE) * (1 - MAINTENANCE_OVER_INITIAL)) : null;
    return {
      symbol,
      quantity: decimalText(Math.abs(p.qty), 6),
      side: p.qty < 0 ? 'SHORT' : 'LONG',
      avgPrice: decimalText(p.avgPrice, 8),
      markPrice: decimalText(mark, 8),
      lastPrice: futures ? decimalText(this.market.futuresLast(symbol), 8) : null,
      estimatedLiquidationPrice: liquidation === null ? null : decimalText(liquidation, 8),
      initialMargin: usd(im),
      maintenanceMargin: usd(im * MAINTENANCE_OVER_INITIAL),
      unrealizedPnl: usd(p.qty * (mark - p.avgPrice)),
      profitAndLoss: usd(p.realized),
      userId: this.userId,
      leverage: futures ? String(FUTURES_LEVERAGE) : null,
      delta: greek(quote?.delta),
      gamma: greek(quote?.gamma),
      vega: greek(quote?.vega),
      theta: greek(quote?.theta),
      rho: greek(quote?.rho),
      timestamp: now,
    };
  }

  private placeOrder(symbol: string, now: number): void {
    const option = liveOption(symbol, now);
    const market: MarketName = option === undefined ? 'futures' : 'options';
    const side = chance(this.rng, 0.5) ? 'BUY' : 'SELL';
    const mark = this.margin.markOf(symbol, market);
    const instrument = this.market.instrument(symbol);
    if (mark === undefined || instrument === undefined) return;
    const offset = uniform(this.rng, 0, MAX_ORDER_OFFSET) * (side === 'BUY' ? -1 : 1);
    const price = Math.max(instrument.tick, roundToStep(mark * (1 + offset), instrument.tick));
    const sizeDecimals = market === 'options' ? OPTION_SIZE_DECIMALS : instrument.sizeDecimals;
    const lot = 10 ** -sizeDecimals;
    const qty = roundToStep(
      lot *
        intBetween(
          this.rng,
          market === 'options' ? OPTION_MIN_LOTS : FUTURES_MIN_LOTS,
          market === 'options' ? OPTION_MAX_LOTS : FUTURES_MAX_LOTS,
        ),
      lot,
    );
    this.coidCounter++;
    const order: RestingOrder = {
      oid: this.nextOrderId(),
      coid: this.coidCounter % 2 === 0 ? `sim-${this.userId}-${this.coidCounter}` : null,
      symbol,
      market,
      side,
      qty,
      price,
      sizeDecimals,
      priceDecimals: instrument.priceDecimals,
      filled: 0,
      avgFill: 0,
      createdAt: now,
    };
    this.orders.push(order);
    this.pending[market].orders.push(this.orderRecord(order, 'NEW', now));
  }

  private fill(order: RestingOrder, now: number): void {
    const lot = 10 ** -order.sizeDecimals;
    const remaining = roundToStep(order.qty - order.filled, lot);
    const qty = chance(this.rng, 0.5) ? remaining : Math.max(lot, roundToStep(remaining * uniform(this.rng, 0.2, 0.8), lot));
    const size = Math.min(qty, remaining);
    if (!this.margin.canCarry(order.symbol, () => this.applyToPosition(order, size))) return this.finish(order, 'CANCELED', now);
    order.avgFill = (order.avgFill * order.filled + order.price * size) / (order.filled + size);
    order.filled = roundToStep(order.filled + size, lot);
    this.applyToPosition(order, size);
    const done = order.filled >= order.qty;
    this.pending[order.market].fills.push({ symbol: order.symbol, eventType: FILL_EVENT_TYPE, timestamp: now });
    this.pending[order.market].orders.push(
      this.orderRecord(order, done ? 'FILLED' : 'PARTIALLY_FILLED', now, { price: order.price, qty: size }),
    );
    if (done) this.replace(order, now);
  }

  private finish(order: RestingOrder, state: 'CANCELED', now: number): void {
    this.pending[order.market].orders.push(this.orderRecord(order, state, now));
    this.replace(order, now);
  }

  private replace(order: RestingOrder, now: number): void {
    this.orders.splice(this.orders.indexOf(order), 1);
    this.placeOrder(order.symbol, now);
  }

  private applyToPosition(order: RestingOrder, size: number): void {
    const signed = order.side === 'BUY' ? size : -size;
    const p = this.positions.get(order.symbol) ?? { market: order.market, qty: 0, avgPrice: order.price, realized: 0 };
    if (p.qty === 0 || Math.sign(p.qty) === Math.sign(signed)) {
      p.avgPrice = (Math.abs(p.qty) * p.avgPrice + size * order.price) / (Math.abs(p.qty) + size);
    } else {
      const closing = Math.min(Math.abs(p.qty), size);
      p.realized += closing * (order.price - p.avgPrice) * Math.sign(p.qty);
      if (size > Math.abs(p.qty)) p.avgPrice = order.price;
    }
    p.qty = Number((p.qty + signed).toFixed(8));
    this.positions.set(order.symbol, p);
  }

  private orderRecord(
    o: RestingOrder,
    state: OrderRecord['state'] & string,
    now: number,
    fill?: { price: number; qty: number },
  ): OrderRecord {
    const size = (n: number) => decimalText(n, o.sizeDecimals);
    const price = (n: number) => decimalText(n, o.priceDecimals);
    return {
      orderId: o.oid.toString(),
      clientOrderId: o.coid,
      userId: this.userId,
      symbol: o.symbol,
      quantity: size(o.qty),
      price: price(o.price),
      side: o.side,
      type: 'LIMIT',
      timeInForce: 'GTC',
      state,
      reduceOnly: false,
      leverage: o.market === 'futures' ? String(FUTURES_LEVERAGE) : null,
      createdAt: o.createdAt,
      updatedAt: now,
      filledQuantity: size(o.filled),
      remainingQuantity: size(state === 'CANCELED' ? 0 : o.qty - o.filled),
      fillPrice: fill === undefined ? null : price(fill.price),
      fillQuantity: fill === undefined ? null : size(fill.qty),
      avgPrice: o.filled > 0 ? decimalText(o.avgFill, 8) : null,
      isTaker: fill === undefined ? null : false,
      canceledQuantity: state === 'CANCELED' ? size(o.qty - o.filled) : null,
      amount: null,
    };
  }
}

function emptyEvents(): Record<MarketName, MarketEvents> {
  return { options: { orders: [], fills: [] }, futures: { orders: [], fills: [] } };
}
