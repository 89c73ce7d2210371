/** Internal type. DO NOT USE DIRECTLY. */
type Exact<T extends { [key: string]: unknown }> = { [K in keyof T]: T[K] };
/** Internal type. DO NOT USE DIRECTLY. */
export type Incremental<T> = T | { [P in keyof T]?: P extends ' $fragmentName' | '__typename' ? T[P] : never };
import type { TypedDocumentNode as DocumentNode } from '@graphql-typed-document-node/core';
/** What a connection carries. */
export type ConnectionAccess =
  /** One client account's private channels. */
  | 'PRIVATE'
  /** Shared public market data, signed with the gateway's key. */
  | 'PUBLIC';

/** State of an upstream connection. */
export type ConnectionState =
  /** Down; waiting before the next reconnect attempt. */
  | 'BACKOFF'
  /** Closed by the gateway. */
  | 'CLOSED'
  /** Opening the WebSocket. */
  | 'CONNECTING'
  /** Connected and streaming. */
  | 'OPEN'
  /** The exchange refused the credential. */
  | 'REFUSED';

/** Candle granularity. */
export type KlinePeriod =
  /** One day. */
  | 'D1'
  /** One hour. */
  | 'H1'
  /** Four hours. */
  | 'H4'
  /** One minute. */
  | 'M1'
  /** Five minutes. */
  | 'M5'
  /** Fifteen minutes. */
  | 'M15'
  /** Thirty minutes. */
  | 'M30'
  /** One month. */
  | 'MN1'
  /** One quarter. */
  | 'QUARTER'
  /** One week. */
  | 'W1';

/** A Coincall market, each served by its own WebSocket endpoint. */
export type Market =
  /** Perpetual futures market (`/futures` endpoint). */
  | 'FUTURES'
  /** Options market (`/options` endpoint). */
  | 'OPTIONS';

/** Call or put. */
export type OptionType =
  /** A call option. */
  | 'CALL'
  /** A put option. */
  | 'PUT';

/** Side of an order. */
export type OrderSide =
  /** Buy. */
  | 'BUY'
  /** Sell. */
  | 'SELL'
  /** A code this gateway does not know yet (the raw code is not lost: the exchange added a value). */
  | 'UNKNOWN';

/** Lifecycle state of an order. */
export type OrderState =
  /** Cancelled. */
  | 'CANCELED'
  /** Being cancelled. */
  | 'CANCELING'
  /** Cancelled by exercise (options). */
  | 'CANCEL_BY_EXERCISE'
  /** Completely filled. */
  | 'FILLED'
  /** Illegal order. */
  | 'ILLEGAL'
  /** Invalid. */
  | 'INVALID'
  /** Working on the book. */
  | 'NEW'
  /** Partially filled, still working. */
  | 'PARTIALLY_FILLED'
  /** Accepted, not yet on the book. */
  | 'PRE'
  /** Cancel requested. */
  | 'PRE_CANCEL'
  /** A code this gateway does not know yet (the raw code is not lost: the exchange added a value). */
  | 'UNKNOWN'
  /** Waiting to take effect (futures). */
  | 'WAITING_EFFECT';

/** Type of an order. */
export type OrderType =
  /** Block trade. */
  | 'BLOCK_TRADE'
  /** Limit order. */
  | 'LIMIT'
  /** Market order. */
  | 'MARKET'
  /** Post-only limit order. */
  | 'POST_ONLY'
  /** Stop-limit order. */
  | 'STOP_LIMIT'
  /** Stop-market order. */
  | 'STOP_MARKET'
  /** A code this gateway does not know yet (the raw code is not lost: the exchange added a value). */
  | 'UNKNOWN';

/** Direction of a position. */
export type PositionSide =
  /** Long. */
  | 'LONG'
  /** Short. */
  | 'SHORT';

/** How long an order stays working. */
export type TimeInForce =
  /** Fill or kill. */
  | 'FOK'
  /** Good till cancelled. */
  | 'GTC'
  /** Good till cancelled, post-only. */
  | 'GTC_POST_ONLY'
  /** Immediate or cancel. */
  | 'IOC'
  /** A code this gateway does not know yet (the raw code is not lost: the exchange added a value). */
  | 'UNKNOWN';

/** The taker's side of a trade. */
export type TradeSide =
  /** The taker bought (lifted an ask). */
  | 'BUY'
  /** The taker sold (hit a bid). */
  | 'SELL';

/** Where the market data comes from. */
export type UpstreamMode =
  /** The Coincall exchange. */
  | 'LIVE'
  /** The built-in simulator: the data is not real. */
  | 'SIMULATED';

export type AccountBalanceSubscriptionVariables = Exact<{ [key: string]: never; }>;


export type AccountBalanceSubscription = { accountBalance: { userId: string | null, equity: string | null, availableBalance: string | null, marginBalance: string | null, initialMargin: string | null, maintenanceMargin: string | null, unrealizedPnl: string | null, timestamp: string } };

export type FuturesFillsSubscriptionVariables = Exact<{
  symbol?: string | null | undefined;
}>;


export type FuturesFillsSubscription = { futuresFills: { symbol: string, eventType: number | null, timestamp: string | null } };

export type FuturesIndexPriceSubscriptionVariables = Exact<{
  symbol?: string;
}>;


export type FuturesIndexPriceSubscription = { futuresIndexPrice: { symbol: string, price: string | null, markPrice: string | null, indexPrice: string | null, lastPrice: string | null, high24h: string | null, low24h: string | null, changeRate: number | null, volume24h: string | null, timestamp: string | null } };

export type FuturesKlineSubscriptionVariables = Exact<{
  symbol?: string;
  period?: KlinePeriod;
}>;


export type FuturesKlineSubscription = { futuresKline: { symbol: string, period: KlinePeriod, timestamp: string, open: string | null, high: string | null, low: string | null, close: string | null, volume: string | null } };

export type FuturesOrderBookSubscriptionVariables = Exact<{
  symbol?: string;
  depth?: number | null | undefined;
}>;


export type FuturesOrderBookSubscription = { futuresOrderBook: { symbol: string, timestamp: string | null, bids: Array<{ price: string, volume: string }>, asks: Array<{ price: string, volume: string }> } };

export type FuturesOrdersSubscriptionVariables = Exact<{
  symbol?: string | null | undefined;
}>;


export type FuturesOrdersSubscription = { futuresOrders: { orderId: string, clientOrderId: string | null, symbol: string, side: OrderSide | null, type: OrderType | null, state: OrderState | null, price: string | null, quantity: string | null, filledQuantity: string | null, remainingQuantity: string | null, avgPrice: string | null, updatedAt: string | null } };

export type FuturesPositionsSubscriptionVariables = Exact<{
  symbol?: string | null | undefined;
}>;


export type FuturesPositionsSubscription = { futuresPositions: { symbol: string, side: PositionSide | null, quantity: string | null, avgPrice: string | null, markPrice: string | null, lastPrice: string | null, leverage: string | null, unrealizedPnl: string | null, estimatedLiquidationPrice: string | null, timestamp: string | null } };

export type FuturesTradesSubscriptionVariables = Exact<{
  symbol?: string;
  side?: TradeSide | null | undefined;
}>;


export type FuturesTradesSubscription = { futuresTrades: Array<{ symbol: string, price: string, volume: string, side: TradeSide | null, timestamp: string }> };

export type OptionChainSubscriptionVariables = Exact<{
  underlying?: string;
  expiry: string;
  type?: OptionType | null | undefined;
  minStrike?: number | null | undefined;
  maxStrike?: number | null | undefined;
}>;


export type OptionChainSubscription = { optionChain: { underlying: string, expiry: string, timestamp: string | null, tickers: Array<{ symbol: string, strike: string, type: OptionType, bid: string | null, ask: string | null, markPrice: string | null, markIv: number | null, delta: number | null }> } };

export type OptionFillsSubscriptionVariables = Exact<{
  symbol: string;
}>;


export type OptionFillsSubscription = { optionFills: { symbol: string, eventType: number | null, timestamp: string | null } };

export type OptionIndexPriceSubscriptionVariables = Exact<{
  symbol?: string;
}>;


export type OptionIndexPriceSubscription = { optionIndexPrice: { symbol: string, price: string | null, indexPrice: string | null, markPrice: string | null, timestamp: string | null } };

export type OptionKlineSubscriptionVariables = Exact<{
  symbol: string;
  period?: KlinePeriod;
}>;


export type OptionKlineSubscription = { optionKline: { symbol: string, period: KlinePeriod, timestamp: string, open: string | null, high: string | null, low: string | null, close: string | null, volume: string | null } };

export type OptionOrderBookSubscriptionVariables = Exact<{
  symbol: string;
  depth?: number | null | undefined;
}>;


export type OptionOrderBookSubscription = { optionOrderBook: { symbol: string, timestamp: string | null, bids: Array<{ price: string, volume: string }>, asks: Array<{ price: string, volume: string }> } };

export type OptionOrdersSubscriptionVariables = Exact<{
  symbol?: string | null | undefined;
}>;


export type OptionOrdersSubscription = { optionOrders: { orderId: string, clientOrderId: string | null, symbol: string, side: OrderSide | null, type: OrderType | null, timeInForce: TimeInForce | null, state: OrderState | null, price: string | null, quantity: string | null, filledQuantity: string | null, fillPrice: string | null, fillQuantity: string | null, isTaker: boolean | null, updatedAt: string | null } };

export type OptionPositionsSubscriptionVariables = Exact<{
  underlyings?: Array<string> | string | null | undefined;
}>;


export type OptionPositionsSubscription = { optionPositions: { symbol: string, side: PositionSide | null, quantity: string | null, avgPrice: string | null, markPrice: string | null, unrealizedPnl: string | null, delta: number | null, gamma: number | null, vega: number | null, theta: number | null, timestamp: string | null } };

export type OptionPricingSubscriptionVariables = Exact<{
  symbol: string;
}>;


export type OptionPricingSubscription = { optionPricing: { symbol: string, markPrice: string | null, impliedVolatility: number | null, delta: number | null, gamma: number | null, vega: number | null, theta: number | null, underlyingPrice: string | null, timestamp: string | null } };

export type OptionTradesSubscriptionVariables = Exact<{
  symbol: string;
  side?: TradeSide | null | undefined;
}>;


export type OptionTradesSubscription = { optionTrades: Array<{ symbol: string, price: string, volume: string, side: TradeSide | null, timestamp: string }> };

export type StatusQueryVariables = Exact<{ [key: string]: never; }>;


export type StatusQuery = { status: { mode: UpstreamMode, version: string, startedAt: string, privateTopics: number, connections: Array<{ market: Market, access: ConnectionAccess, state: ConnectionState, connectedSince: string | null, reconnects: number, lastMessageAt: string | null }>, topics: Array<{ market: Market, channel: string, dataType: string, key: string, subscribers: number }>, sharedSubscriptions: { groups: number, members: number, executions: number, deliveries: number, conflated: number, tooSlow: number }, droppedFrames: { unknownDt: number, undecodable: number, unrouted: number } } };

export type StatusUpdatesSubscriptionVariables = Exact<{ [key: string]: never; }>;


export type StatusUpdatesSubscription = { status: { mode: UpstreamMode, connections: Array<{ market: Market, access: ConnectionAccess, state: ConnectionState, connectedSince: string | null, reconnects: number, lastMessageAt: string | null }> } };


export const AccountBalanceDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"subscription","name":{"kind":"Name","value":"AccountBalance"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"accountBalance"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"userId"}},{"kind":"Field","name":{"kind":"Name","value":"equity"}},{"kind":"Field","name":{"kind":"Name","value":"availableBalance"}},{"kind":"Field","name":{"kind":"Name","value":"marginBalance"}},{"kind":"Field","name":{"kind":"Name","value":"initialMargin"}},{"kind":"Field","name":{"kind":"Name","value":"maintenanceMargin"}},{"kind":"Field","name":{"kind":"Name","value":"unrealizedPnl"}},{"kind":"Field","name":{"kind":"Name","value":"timestamp"}}]}}]}}]} as unknown as DocumentNode<AccountBalanceSubscription, AccountBalanceSubscriptionVariables>;
export const FuturesFillsDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"subscription","name":{"kind":"Name","value":"FuturesFills"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"symbol"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"futuresFills"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"symbol"},"value":{"kind":"Variable","name":{"kind":"Name","value":"symbol"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"symbol"}},{"kind":"Field","name":{"kind":"Name","value":"eventType"}},{"kind":"Field","name":{"kind":"Name","value":"timestamp"}}]}}]}}]} as unknown as DocumentNode<FuturesFillsSubscription, FuturesFillsSubscriptionVariables>;
export const FuturesIndexPriceDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"subscription","name":{"kind":"Name","value":"FuturesIndexPrice"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"symbol"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}},"defaultValue":{"kind":"StringValue","value":"BTCUSD","block":false}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"futuresIndexPrice"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"symbol"},"value":{"kind":"Variable","name":{"kind":"Name","value":"symbol"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"symbol"}},{"kind":"Field","name":{"kind":"Name","value":"price"}},{"kind":"Field","name":{"kind":"Name","value":"markPrice"}},{"kind":"Field","name":{"kind":"Name","value":"indexPrice"}},{"kind":"Field","name":{"kind":"Name","value":"lastPrice"}},{"kind":"Field","name":{"kind":"Name","value":"high24h"}},{"kind":"Field","name":{"kind":"Name","value":"low24h"}},{"kind":"Field","name":{"kind":"Name","value":"changeRate"}},{"kind":"Field","name":{"kind":"Name","value":"volume24h"}},{"kind":"Field","name":{"kind":"Name","value":"timestamp"}}]}}]}}]} as unknown as DocumentNode<FuturesIndexPriceSubscription, FuturesIndexPriceSubscriptionVariables>;
export const FuturesKlineDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"subscription","name":{"kind":"Name","value":"FuturesKline"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"symbol"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}},"defaultValue":{"kind":"StringValue","value":"BTCUSD","block":false}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"period"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"KlinePeriod"}}},"defaultValue":{"kind":"EnumValue","value":"M1"}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"futuresKline"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"symbol"},"value":{"kind":"Variable","name":{"kind":"Name","value":"symbol"}}},{"kind":"Argument","name":{"kind":"Name","value":"period"},"value":{"kind":"Variable","name":{"kind":"Name","value":"period"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"symbol"}},{"kind":"Field","name":{"kind":"Name","value":"period"}},{"kind":"Field","name":{"kind":"Name","value":"timestamp"}},{"kind":"Field","name":{"kind":"Name","value":"open"}},{"kind":"Field","name":{"kind":"Name","value":"high"}},{"kind":"Field","name":{"kind":"Name","value":"low"}},{"kind":"Field","name":{"kind":"Name","value":"close"}},{"kind":"Field","name":{"kind":"Name","value":"volume"}}]}}]}}]} as unknown as DocumentNode<FuturesKlineSubscription, FuturesKlineSubscriptionVariables>;
export const FuturesOrderBookDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"subscription","name":{"kind":"Name","value":"FuturesOrderBook"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"symbol"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}},"defaultValue":{"kind":"StringValue","value":"BTCUSD","block":false}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"depth"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"Int"}},"defaultValue":{"kind":"IntValue","value":"10"}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"futuresOrderBook"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"symbol"},"value":{"kind":"Variable","name":{"kind":"Name","value":"symbol"}}},{"kind":"Argument","name":{"kind":"Name","value":"depth"},"value":{"kind":"Variable","name":{"kind":"Name","value":"depth"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"symbol"}},{"kind":"Field","name":{"kind":"Name","value":"timestamp"}},{"kind":"Field","name":{"kind":"Name","value":"bids"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"price"}},{"kind":"Field","name":{"kind":"Name","value":"volume"}}]}},{"kind":"Field","name":{"kind":"Name","value":"asks"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"price"}},{"kind":"Field","name":{"kind":"Name","value":"volume"}}]}}]}}]}}]} as unknown as DocumentNode<FuturesOrderBookSubscription, FuturesOrderBookSubscriptionVariables>;
export const FuturesOrdersDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"subscription","name":{"kind":"Name","value":"FuturesOrders"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"symbol"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"futuresOrders"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"symbol"},"value":{"kind":"Variable","name":{"kind":"Name","value":"symbol"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"orderId"}},{"kind":"Field","name":{"kind":"Name","value":"clientOrderId"}},{"kind":"Field","name":{"kind":"Name","value":"symbol"}},{"kind":"Field","name":{"kind":"Name","value":"side"}},{"kind":"Field","name":{"kind":"Name","value":"type"}},{"kind":"Field","name":{"kind":"Name","value":"state"}},{"kind":"Field","name":{"kind":"Name","value":"price"}},{"kind":"Field","name":{"kind":"Name","value":"quantity"}},{"kind":"Field","name":{"kind":"Name","value":"filledQuantity"}},{"kind":"Field","name":{"kind":"Name","value":"remainingQuantity"}},{"kind":"Field","name":{"kind":"Name","value":"avgPrice"}},{"kind":"Field","name":{"kind":"Name","value":"updatedAt"}}]}}]}}]} as unknown as DocumentNode<FuturesOrdersSubscription, FuturesOrdersSubscriptionVariables>;
export const FuturesPositionsDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"subscription","name":{"kind":"Name","value":"FuturesPositions"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"symbol"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"futuresPositions"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"symbol"},"value":{"kind":"Variable","name":{"kind":"Name","value":"symbol"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"symbol"}},{"kind":"Field","name":{"kind":"Name","value":"side"}},{"kind":"Field","name":{"kind":"Name","value":"quantity"}},{"kind":"Field","name":{"kind":"Name","value":"avgPrice"}},{"kind":"Field","name":{"kind":"Name","value":"markPrice"}},{"kind":"Field","name":{"kind":"Name","value":"lastPrice"}},{"kind":"Field","name":{"kind":"Name","value":"leverage"}},{"kind":"Field","name":{"kind":"Name","value":"unrealizedPnl"}},{"kind":"Field","name":{"kind":"Name","value":"estimatedLiquidationPrice"}},{"kind":"Field","name":{"kind":"Name","value":"timestamp"}}]}}]}}]} as unknown as DocumentNode<FuturesPositionsSubscription, FuturesPositionsSubscriptionVariables>;
export const FuturesTradesDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"subscription","name":{"kind":"Name","value":"FuturesTrades"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"symbol"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}},"defaultValue":{"kind":"StringValue","value":"BTCUSD","block":false}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"side"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"TradeSide"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"futuresTrades"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"symbol"},"value":{"kind":"Variable","name":{"kind":"Name","value":"symbol"}}},{"kind":"Argument","name":{"kind":"Name","value":"side"},"value":{"kind":"Variable","name":{"kind":"Name","value":"side"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"symbol"}},{"kind":"Field","name":{"kind":"Name","value":"price"}},{"kind":"Field","name":{"kind":"Name","value":"volume"}},{"kind":"Field","name":{"kind":"Name","value":"side"}},{"kind":"Field","name":{"kind":"Name","value":"timestamp"}}]}}]}}]} as unknown as DocumentNode<FuturesTradesSubscription, FuturesTradesSubscriptionVariables>;
export const OptionChainDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"subscription","name":{"kind":"Name","value":"OptionChain"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"underlying"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}},"defaultValue":{"kind":"StringValue","value":"BTCUSD","block":false}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"expiry"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"DateTime"}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"type"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"OptionType"}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"minStrike"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"Float"}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"maxStrike"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"Float"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"optionChain"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"underlying"},"value":{"kind":"Variable","name":{"kind":"Name","value":"underlying"}}},{"kind":"Argument","name":{"kind":"Name","value":"expiry"},"value":{"kind":"Variable","name":{"kind":"Name","value":"expiry"}}},{"kind":"Argument","name":{"kind":"Name","value":"type"},"value":{"kind":"Variable","name":{"kind":"Name","value":"type"}}},{"kind":"Argument","name":{"kind":"Name","value":"minStrike"},"value":{"kind":"Variable","name":{"kind":"Name","value":"minStrike"}}},{"kind":"Argument","name":{"kind":"Name","value":"maxStrike"},"value":{"kind":"Variable","name":{"kind":"Name","value":"maxStrike"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"underlying"}},{"kind":"Field","name":{"kind":"Name","value":"expiry"}},{"kind":"Field","name":{"kind":"Name","value":"timestamp"}},{"kind":"Field","name":{"kind":"Name","value":"tickers"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"symbol"}},{"kind":"Field","name":{"kind":"Name","value":"strike"}},{"kind":"Field","name":{"kind":"Name","value":"type"}},{"kind":"Field","name":{"kind":"Name","value":"bid"}},{"kind":"Field","name":{"kind":"Name","value":"ask"}},{"kind":"Field","name":{"kind":"Name","value":"markPrice"}},{"kind":"Field","name":{"kind":"Name","value":"markIv"}},{"kind":"Field","name":{"kind":"Name","value":"delta"}}]}}]}}]}}]} as unknown as DocumentNode<OptionChainSubscription, OptionChainSubscriptionVariables>;
export const OptionFillsDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"subscription","name":{"kind":"Name","value":"OptionFills"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"symbol"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"optionFills"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"symbol"},"value":{"kind":"Variable","name":{"kind":"Name","value":"symbol"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"symbol"}},{"kind":"Field","name":{"kind":"Name","value":"eventType"}},{"kind":"Field","name":{"kind":"Name","value":"timestamp"}}]}}]}}]} as unknown as DocumentNode<OptionFillsSubscription, OptionFillsSubscriptionVariables>;
export const OptionIndexPriceDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"subscription","name":{"kind":"Name","value":"OptionIndexPrice"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"symbol"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}},"defaultValue":{"kind":"StringValue","value":"BTCUSD","block":false}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"optionIndexPrice"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"symbol"},"value":{"kind":"Variable","name":{"kind":"Name","value":"symbol"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"symbol"}},{"kind":"Field","name":{"kind":"Name","value":"price"}},{"kind":"Field","name":{"kind":"Name","value":"indexPrice"}},{"kind":"Field","name":{"kind":"Name","value":"markPrice"}},{"kind":"Field","name":{"kind":"Name","value":"timestamp"}}]}}]}}]} as unknown as DocumentNode<OptionIndexPriceSubscription, OptionIndexPriceSubscriptionVariables>;
export const OptionKlineDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"subscription","name":{"kind":"Name","value":"OptionKline"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"symbol"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"period"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"KlinePeriod"}}},"defaultValue":{"kind":"EnumValue","value":"H1"}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"optionKline"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"symbol"},"value":{"kind":"Variable","name":{"kind":"Name","value":"symbol"}}},{"kind":"Argument","name":{"kind":"Name","value":"period"},"value":{"kind":"Variable","name":{"kind":"Name","value":"period"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"symbol"}},{"kind":"Field","name":{"kind":"Name","value":"period"}},{"kind":"Field","name":{"kind":"Name","value":"timestamp"}},{"kind":"Field","name":{"kind":"Name","value":"open"}},{"kind":"Field","name":{"kind":"Name","value":"high"}},{"kind":"Field","name":{"kind":"Name","value":"low"}},{"kind":"Field","name":{"kind":"Name","value":"close"}},{"kind":"Field","name":{"kind":"Name","value":"volume"}}]}}]}}]} as unknown as DocumentNode<OptionKlineSubscription, OptionKlineSubscriptionVariables>;
export const OptionOrderBookDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"subscription","name":{"kind":"Name","value":"OptionOrderBook"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"symbol"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"depth"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"Int"}},"defaultValue":{"kind":"IntValue","value":"5"}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"optionOrderBook"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"symbol"},"value":{"kind":"Variable","name":{"kind":"Name","value":"symbol"}}},{"kind":"Argument","name":{"kind":"Name","value":"depth"},"value":{"kind":"Variable","name":{"kind":"Name","value":"depth"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"symbol"}},{"kind":"Field","name":{"kind":"Name","value":"timestamp"}},{"kind":"Field","name":{"kind":"Name","value":"bids"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"price"}},{"kind":"Field","name":{"kind":"Name","value":"volume"}}]}},{"kind":"Field","name":{"kind":"Name","value":"asks"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"price"}},{"kind":"Field","name":{"kind":"Name","value":"volume"}}]}}]}}]}}]} as unknown as DocumentNode<OptionOrderBookSubscription, OptionOrderBookSubscriptionVariables>;
export const OptionOrdersDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"subscription","name":{"kind":"Name","value":"OptionOrders"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"symbol"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"optionOrders"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"symbol"},"value":{"kind":"Variable","name":{"kind":"Name","value":"symbol"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"orderId"}},{"kind":"Field","name":{"kind":"Name","value":"clientOrderId"}},{"kind":"Field","name":{"kind":"Name","value":"symbol"}},{"kind":"Field","name":{"kind":"Name","value":"side"}},{"kind":"Field","name":{"kind":"Name","value":"type"}},{"kind":"Field","name":{"kind":"Name","value":"timeInForce"}},{"kind":"Field","name":{"kind":"Name","value":"state"}},{"kind":"Field","name":{"kind":"Name","value":"price"}},{"kind":"Field","name":{"kind":"Name","value":"quantity"}},{"kind":"Field","name":{"kind":"Name","value":"filledQuantity"}},{"kind":"Field","name":{"kind":"Name","value":"fillPrice"}},{"kind":"Field","name":{"kind":"Name","value":"fillQuantity"}},{"kind":"Field","name":{"kind":"Name","value":"isTaker"}},{"kind":"Field","name":{"kind":"Name","value":"updatedAt"}}]}}]}}]} as unknown as DocumentNode<OptionOrdersSubscription, OptionOrdersSubscriptionVariables>;
export const OptionPositionsDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"subscription","name":{"kind":"Name","value":"OptionPositions"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"underlyings"}},"type":{"kind":"ListType","type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"optionPositions"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"underlyings"},"value":{"kind":"Variable","name":{"kind":"Name","value":"underlyings"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"symbol"}},{"kind":"Field","name":{"kind":"Name","value":"side"}},{"kind":"Field","name":{"kind":"Name","value":"quantity"}},{"kind":"Field","name":{"kind":"Name","value":"avgPrice"}},{"kind":"Field","name":{"kind":"Name","value":"markPrice"}},{"kind":"Field","name":{"kind":"Name","value":"unrealizedPnl"}},{"kind":"Field","name":{"kind":"Name","value":"delta"}},{"kind":"Field","name":{"kind":"Name","value":"gamma"}},{"kind":"Field","name":{"kind":"Name","value":"vega"}},{"kind":"Field","name":{"kind":"Name","value":"theta"}},{"kind":"Field","name":{"kind":"Name","value":"timestamp"}}]}}]}}]} as unknown as DocumentNode<OptionPositionsSubscription, OptionPositionsSubscriptionVariables>;
export const OptionPricingDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"subscription","name":{"kind":"Name","value":"OptionPricing"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"symbol"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"optionPricing"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"symbol"},"value":{"kind":"Variable","name":{"kind":"Name","value":"symbol"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"symbol"}},{"kind":"Field","name":{"kind":"Name","value":"markPrice"}},{"kind":"Field","name":{"kind":"Name","value":"impliedVolatility"}},{"kind":"Field","name":{"kind":"Name","value":"delta"}},{"kind":"Field","name":{"kind":"Name","value":"gamma"}},{"kind":"Field","name":{"kind":"Name","value":"vega"}},{"kind":"Field","name":{"kind":"Name","value":"theta"}},{"kind":"Field","name":{"kind":"Name","value":"underlyingPrice"}},{"kind":"Field","name":{"kind":"Name","value":"timestamp"}}]}}]}}]} as unknown as DocumentNode<OptionPricingSubscription, OptionPricingSubscriptionVariables>;
export const OptionTradesDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"subscription","name":{"kind":"Name","value":"OptionTrades"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"symbol"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"side"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"TradeSide"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"optionTrades"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"symbol"},"value":{"kind":"Variable","name":{"kind":"Name","value":"symbol"}}},{"kind":"Argument","name":{"kind":"Name","value":"side"},"value":{"kind":"Variable","name":{"kind":"Name","value":"side"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"symbol"}},{"kind":"Field","name":{"kind":"Name","value":"price"}},{"kind":"Field","name":{"kind":"Name","value":"volume"}},{"kind":"Field","name":{"kind":"Name","value":"side"}},{"kind":"Field","name":{"kind":"Name","value":"timestamp"}}]}}]}}]} as unknown as DocumentNode<OptionTradesSubscription, OptionTradesSubscriptionVariables>;
export const StatusDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"Status"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"status"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"mode"}},{"kind":"Field","name":{"kind":"Name","value":"version"}},{"kind":"Field","name":{"kind":"Name","value":"startedAt"}},{"kind":"Field","name":{"kind":"Name","value":"connections"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"market"}},{"kind":"Field","name":{"kind":"Name","value":"access"}},{"kind":"Field","name":{"kind":"Name","value":"state"}},{"kind":"Field","name":{"kind":"Name","value":"connectedSince"}},{"kind":"Field","name":{"kind":"Name","value":"reconnects"}},{"kind":"Field","name":{"kind":"Name","value":"lastMessageAt"}}]}},{"kind":"Field","name":{"kind":"Name","value":"topics"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"market"}},{"kind":"Field","name":{"kind":"Name","value":"channel"}},{"kind":"Field","name":{"kind":"Name","value":"dataType"}},{"kind":"Field","name":{"kind":"Name","value":"key"}},{"kind":"Field","name":{"kind":"Name","value":"subscribers"}}]}},{"kind":"Field","name":{"kind":"Name","value":"privateTopics"}},{"kind":"Field","name":{"kind":"Name","value":"sharedSubscriptions"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"groups"}},{"kind":"Field","name":{"kind":"Name","value":"members"}},{"kind":"Field","name":{"kind":"Name","value":"executions"}},{"kind":"Field","name":{"kind":"Name","value":"deliveries"}},{"kind":"Field","name":{"kind":"Name","value":"conflated"}},{"kind":"Field","name":{"kind":"Name","value":"tooSlow"}}]}},{"kind":"Field","name":{"kind":"Name","value":"droppedFrames"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"unknownDt"}},{"kind":"Field","name":{"kind":"Name","value":"undecodable"}},{"kind":"Field","name":{"kind":"Name","value":"unrouted"}}]}}]}}]}}]} as unknown as DocumentNode<StatusQuery, StatusQueryVariables>;
export const StatusUpdatesDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"subscription","name":{"kind":"Name","value":"StatusUpdates"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"status"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"mode"}},{"kind":"Field","name":{"kind":"Name","value":"connections"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"market"}},{"kind":"Field","name":{"kind":"Name","value":"access"}},{"kind":"Field","name":{"kind":"Name","value":"state"}},{"kind":"Field","name":{"kind":"Name","value":"connectedSince"}},{"kind":"Field","name":{"kind":"Name","value":"reconnects"}},{"kind":"Field","name":{"kind":"Name","value":"lastMessageAt"}}]}}]}}]}}]} as unknown as DocumentNode<StatusUpdatesSubscription, StatusUpdatesSubscriptionVariables>;