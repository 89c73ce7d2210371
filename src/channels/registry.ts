/**
 * The channel registry: every upstream channel, keyed by its GraphQL root
 * field. Adding a channel here (its import and one entry) is all it takes for
 * the schema, the upstream, GraphiQL and the simulator to serve it.
 */
import type { MarketName } from '../coincall/protocol.ts';
import type { AnyChannel } from './channel.ts';
import { accountBalance } from './options/account-balance.ts';
import { optionChain } from './options/chain.ts';
import { optionFills } from './options/fills.ts';
import { optionIndexPrice } from './options/index-price.ts';
import { optionKline } from './options/kline.ts';
import { optionOrderBook } from './options/order-book.ts';
import { optionOrders } from './options/orders.ts';
import { optionPositions } from './options/positions.ts';
import { optionPricing } from './options/pricing.ts';
import { optionTrades } from './options/trades.ts';
import { futuresFills } from './futures/fills.ts';
import { futuresIndexPrice } from './futures/index-price.ts';
import { futuresKline } from './futures/kline.ts';
import { futuresOrderBook } from './futures/order-book.ts';
import { futuresOrders } from './futures/orders.ts';
import { futuresPositions } from './futures/positions.ts';
import { futuresTrades } from './futures/trades.ts';

/** Every channel, one entry each, in the order `CHANNEL_IDS` and `ALL_CHANNELS` keep. */
const BY_ID = {
  optionIndexPrice,
  optionKline,
  optionPricing,
  optionChain,
  optionOrderBook,
  optionTrades,
  accountBalance,
  optionFills,
  optionOrders,
  optionPositions,
  futuresIndexPrice,
  futuresKline,
  futuresOrderBook,
  futuresTrades,
  futuresFills,
  futuresOrders,
  futuresPositions,
} satisfies Readonly<Record<string, AnyChannel>>;

export type ChannelId = keyof typeof BY_ID;
export const CHANNELS: Readonly<Record<ChannelId, AnyChannel>> = BY_ID;
export const CHANNEL_IDS: readonly ChannelId[] = Object.keys(BY_ID) as ChannelId[];

export const ALL_CHANNELS: readonly AnyChannel[] = CHANNEL_IDS.map((id) => CHANNELS[id]);

/** The channels of one market by frame `dt` code. Public and private channels never share a code. */
export function channelsByDt(market: MarketName): ReadonlyMap<number, AnyChannel> {
  const map = new Map<number, AnyChannel>();
  for (const channel of ALL_CHANNELS) {
    if (channel.market !== market) continue;
    for (const dt of channel.dt) {
      if (map.has(dt)) throw new Error(`dt ${dt} of ${market} is claimed twice`);
      map.set(dt, channel);
    }
  }
  return map;
}

/** The channel of a market and dataType (for acknowledgements). */
export function channelOf(market: MarketName, dataType: string): AnyChannel | undefined {
  return ALL_CHANNELS.find((c) => c.market === market && c.dataType === dataType);
}
