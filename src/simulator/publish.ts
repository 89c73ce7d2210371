/**
 * What the simulator sends on each topic: per tick, the frames of every
 * subscribed topic (state topics every tick, event topics when something
 * happened, positions and balances on their own period), encoded once per
 * tick and shared by every connection on the same topic.
 */
import { channelOf } from '../channels/registry.ts';
import type { MarketName } from '../coincall/protocol.ts';
import type { AccountState, MarketEvents } from './accounts.ts';
import type { Connection } from './connection.ts';
import { encodeFrame, type WireForm } from './encode.ts';
import type { Market } from './market.ts';
import type { Topic } from './requests.ts';

export type WireFormOption = WireForm | 'mixed';

/** One tick's view of the world, shared by every topic. */
export interface TickContext {
  readonly market: Market;
  readonly now: number;
  accountOf(apiKey: string): AccountState | undefined;
  /** Private events of this tick, per API key. */
  readonly events: ReadonlyMap<string, Readonly<Record<MarketName, MarketEvents>>>;
  /** Whether positions and balances are due this tick. */
  readonly accountPushDue: boolean;
}

type Wire = Readonly<Record<string, unknown>>;
const NO_FRAMES: readonly string[] = [];

export class Publisher {
  private readonly wireForm: WireFormOption;
  private readonly cache = new Map<string, readonly string[]>();
  private frameCount = 0;

  constructor(wireForm: WireFormOption) {
    this.wireForm = wireForm;
  }

  /** Forgets last tick's frames. */
  beginTick(): void {
    this.cache.clear();
  }

  /** Frames of a topic this tick (cached per topic), or, with `initial`, the first frame of a new subscription. */
  frames(connection: Connection, topic: Topic, ctx: TickContext, initial = false): readonly string[] {
    if (initial) return this.build(connection, topic, ctx, true);
    const isPrivate = channelOf(connection.market, topic.dataType)?.access === 'private';
    const key = `${isPrivate ? connection.apiKey : ''}|${connection.market}|${topic.key}`;
    let frames = this.cache.get(key);
    if (frames === undefined) {
      frames = this.build(connection, topic, ctx, false);
      this.cache.set(key, frames);
    }
    return frames;
  }

  private nextForm(): WireForm {
    if (this.wireForm !== 'mixed') return this.wireForm;
    this.frameCount++;
    return this.frameCount % 2 === 0 ? 'spec' : 'live';
  }

  /** Encodes one record (object `d`) or a list (array `d`) of a market's dataType into frame text. */
  private encode(market: MarketName, dataType: string, d: Wire | readonly Wire[], ts?: number): string {
    const channel = channelOf(market, dataType);
    const dt = channel?.dt[0];
    if (channel === undefined || dt === undefined) throw new Error(`no channel for ${market}/${dataType}`);
    return encodeFrame(dt, channel.item, d, this.nextForm(), ts);
  }

  private one(market: MarketName, dataType: string, record: Wire | undefined, ts?: number): readonly string[] {
    return record === undefined ? NO_FRAMES : [this.encode(market, dataType, record, ts)];
  }

  private list(market: MarketName, dataType: string, records: readonly Wire[], ts?: number): readonly string[] {
    return records.length === 0 ? NO_FRAMES : [this.encode(market, dataType, records, ts)];
  }

  private build(connection: Connection, topic: Topic, ctx: TickContext, initial: boolean): readonly string[] {
    const m = connection.market;
    const p = topic.params;
    const dataType = topic.dataType;
    const account = ctx.accountOf(connection.apiKey);
    const events = ctx.events.get(connection.apiKey)?.[m];
    switch (p.kind) {
      case 'index':
        return this.one(m, dataType, ctx.market.indexRecord(p.symbol, m), m === 'futures' ? ctx.now : undefined);
      case 'kline':
        return this.one(m, dataType, ctx.market.klineRecord(p.symbol, p.period));
      case 'pricing':
        return this.one(m, dataType, ctx.market.pricingRecord(p.symbol));
      case 'chain':
        return this.list(m, dataType, ctx.market.chainRecords(p.underlying, p.end));
      case 'book':
        return this.one(m, dataType, ctx.market.bookRecord(p.symbol));
      case 'trades':
        return initial ? NO_FRAMES : this.list(m, dataType, ctx.market.tradesOf(p.symbol));
      case 'balance':
        return initial || ctx.accountPushDue ? this.one(m, dataType, account?.balanceRecord(), ctx.now) : NO_FRAMES;
      case 'positions':
        return initial || ctx.accountPushDue ? this.list(m, dataType, account?.positionRecords(m, ctx.now, p.underlyings) ?? [], ctx.now) : NO_FRAMES;
      case 'fills': {
        const fills = (events?.fills ?? []).filter((f) => p.symbol === undefined || f.symbol === p.symbol);
        return initial ? NO_FRAMES : fills.map((fill) => this.encode(m, dataType, fill, ctx.now));
      }
      case 'orders':
        return initial ? NO_FRAMES : (events?.orders ?? []).map((order) => this.encode(m, dataType, order, ctx.now));
    }
  }
}
