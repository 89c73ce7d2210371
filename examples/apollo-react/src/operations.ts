/**
 * The page's GraphQL documents and the shapes of their results. Each view
 * reads a Query twin for its first paint and subscribes to the field of the
 * same name with the same selection set (one fragment), so the subscription's
 * events land in the cached query, by `id`, without hand-written merging.
 */
import { gql, type TypedDocumentNode } from '@apollo/client';

export interface PriceLevel {
  readonly price: string;
  readonly volume: string;
  /** Cumulative volume from the best level through this one. */
  readonly total: string;
}

export interface OrderBook {
  readonly id: string;
  readonly symbol: string;
  readonly timestamp: string | null;
  readonly bids: readonly PriceLevel[];
  readonly asks: readonly PriceLevel[];
}

export interface Trade {
  readonly id: string;
  readonly symbol: string;
  readonly price: string;
  readonly volume: string;
  readonly side: 'BUY' | 'SELL' | null;
  readonly timestamp: string;
}

export interface OptionTicker {
  readonly id: string;
  readonly symbol: string;
  readonly strike: string;
  readonly type: 'CALL' | 'PUT';
  readonly bid: string | null;
  readonly ask: string | null;
  readonly markPrice: string | null;
  readonly markIv: number | null;
  readonly delta: number | null;
}

export interface OptionChain {
  readonly id: string;
  readonly underlying: string;
  readonly expiry: string;
  readonly timestamp: string | null;
  readonly tickers: readonly OptionTicker[];
}

export interface BookVariables {
  readonly symbol: string;
  readonly depth: number;
  readonly throttleMs?: number;
}
export interface TradesVariables {
  readonly symbol: string;
  readonly limit?: number;
  readonly throttleMs?: number;
}
export interface ChainVariables {
  readonly underlying: string;
  readonly expiry: string;
  readonly throttleMs?: number;
}

const BOOK_FIELDS = gql`
  fragment BookFields on OrderBook {
    id
    symbol
    timestamp
    bids {
      price
      volume
      total
    }
    asks {
      price
      volume
      total
    }
  }
`;
const TRADE_FIELDS = gql`
  fragment TradeFields on Trade {
    id
    symbol
    price
    volume
    side
    timestamp
  }
`;
const CHAIN_FIELDS = gql`
  fragment ChainFields on OptionChain {
    id
    underlying
    expiry
    timestamp
    tickers {
      id
      symbol
      strike
      type
      bid
      ask
      markPrice
      markIv
      delta
    }
  }
`;

export const BOOK_QUERY: TypedDocumentNode<{ futuresOrderBook: OrderBook }, BookVariables> = gql`
  query BookSnapshot($symbol: String!, $depth: Int!) {
    futuresOrderBook(symbol: $symbol, depth: $depth) {
      ...BookFields
    }
  }
  ${BOOK_FIELDS}
`;
export const BOOK_SUBSCRIPTION: TypedDocumentNode<{ futuresOrderBook: OrderBook }, BookVariables> = gql`
  subscription BookUpdates($symbol: String!, $depth: Int!, $throttleMs: Int) {
    futuresOrderBook(symbol: $symbol, depth: $depth, throttleMs: $throttleMs) {
      ...BookFields
    }
  }
  ${BOOK_FIELDS}
`;

export const TRADES_QUERY: TypedDocumentNode<{ futuresTrades: readonly Trade[] }, TradesVariables> = gql`
  query RecentTrades($symbol: String!, $limit: Int) {
    futuresTrades(symbol: $symbol, limit: $limit) {
      ...TradeFields
    }
  }
  ${TRADE_FIELDS}
`;
export const TRADES_SUBSCRIPTION: TypedDocumentNode<{ futuresTrades: readonly Trade[] }, TradesVariables> = gql`
  subscription TradeUpdates($symbol: String!, $throttleMs: Int) {
    futuresTrades(symbol: $symbol, throttleMs: $throttleMs) {
      ...TradeFields
    }
  }
  ${TRADE_FIELDS}
`;

export const EXPIRIES_QUERY: TypedDocumentNode<{ expiries: readonly string[] }, { underlying: string }> = gql`
  query Expiries($underlying: String!) {
    expiries(underlying: $underlying)
  }
`;
export const CHAIN_QUERY: TypedDocumentNode<{ optionChain: OptionChain }, ChainVariables> = gql`
  query ChainSnapshot($underlying: String!, $expiry: DateTime!) {
    optionChain(underlying: $underlying, expiry: $expiry) {
      ...ChainFields
    }
  }
  ${CHAIN_FIELDS}
`;
export const CHAIN_SUBSCRIPTION: TypedDocumentNode<{ optionChain: OptionChain }, ChainVariables> = gql`
  subscription ChainUpdates($underlying: String!, $expiry: DateTime!, $throttleMs: Int) {
    optionChain(underlying: $underlying, expiry: $expiry, throttleMs: $throttleMs) {
      ...ChainFields
    }
  }
  ${CHAIN_FIELDS}
`;
