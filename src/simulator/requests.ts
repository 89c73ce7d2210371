/**
 * Subscription requests as the simulator understands them: which dataTypes
 * each market serves, what payload each takes (single or batch symbols), and
 * the normalised topics a valid request expands to. Invalid requests come
 * back with the reason the failed acknowledgement carries.
 */
import { KlinePeriod } from '../channels/enums.ts';
import { channelOf } from '../channels/registry.ts';
import type { MarketName } from '../coincall/protocol.ts';
import { EXPIRY_HOUR_UTC } from '../coincall/symbols.ts';
import { canonicalKey } from '../lib/canonical.ts';
import { periodByCode, PERIOD_CODES, type PeriodName } from './candles.ts';
import { DAY_MS } from '../coincall/symbols.ts';
import { liveOption, underlyingSpec } from './instruments.ts';

/** The most symbols one batch request may carry. */
export const MAX_BATCH_SYMBOLS = 100;
const HOUR_MS = 3_600_000;

export type TopicParams =
  | { readonly kind: 'index'; readonly symbol: string }
  | { readonly kind: 'kline'; readonly symbol: string; readonly period: PeriodName }
  | { readonly kind: 'pricing'; readonly symbol: string }
  | { readonly kind: 'chain'; readonly underlying: string; readonly end: number }
  | { readonly kind: 'book'; readonly symbol: string }
  | { readonly kind: 'trades'; readonly symbol: string }
  | { readonly kind: 'balance' }
  | { readonly kind: 'fills'; readonly symbol: string | undefined }
  | { readonly kind: 'orders' }
  | { readonly kind: 'positions'; readonly underlyings: readonly string[] | undefined };

/** One upstream subscription of a connection. */
export interface Topic {
  readonly dataType: string;
  /** Identity of the topic on a connection: dataType and canonical payload. */
  readonly key: string;
  /** The normalised payload (one symbol even when the request was a batch). */
  readonly payload: Readonly<Record<string, unknown>> | undefined;
  readonly params: TopicParams;
}

export type ParsedTopics = { readonly ok: true; readonly topics: Topic[] } | { readonly ok: false; readonly reason: string };

type SymbolKind = 'option' | 'underlying';
type Payload = Readonly<Record<string, unknown>> | undefined;

interface Rule {
  readonly symbol?: SymbolKind;
  readonly batch?: boolean;
  build(symbol: string, payload: Payload, now: number): TopicParams | string;
}

const withSymbol = (kind: 'index' | 'pricing' | 'book' | 'trades'): Rule['build'] => (symbol) => ({ kind, symbol });

const kline: Rule['build'] = (symbol, payload) => {
  const code = payload?.['period'];
  const period = typeof code === 'string' ? periodByCode(code) : undefined;
  return period === undefined ? `period must be one of ${PERIOD_CODES.join(', ')}` : { kind: 'kline', symbol, period };
};

const chain: Rule['build'] = (symbol, payload, now) => {
  const end = payload?.['end'];
  if (typeof end !== 'number' || !Number.isInteger(end)) return 'end must be the expiry in ms';
  if ((end - EXPIRY_HOUR_UTC * HOUR_MS) % DAY_MS !== 0) return 'end is not an expiry (08:00 UTC)';
  if (end <= now) return 'expiry has passed';
  return { kind: 'chain', underlying: symbol, end };
};

const RULES: Readonly<Record<MarketName, Readonly<Record<string, Rule>>>> = {
  options: {
    spotPrice: { symbol: 'underlying', build: withSymbol('index') },
    kline: { symbol: 'option', build: kline },
    bsInfo: { symbol: 'option', batch: true, build: withSymbol('pricing') },
    tOption: { symbol: 'underlying', build: chain },
    orderBook: { symbol: 'option', batch: true, build: withSymbol('book') },
    lastTrade: { symbol: 'option', batch: true, build: withSymbol('trades') },
    accountBalance: { build: () => ({ kind: 'balance' }) },
    fillSignal: { build: (_s, payload, now) => optionalOptionSymbol(payload, now) },
    order: { build: () => ({ kind: 'orders' }) },
    position: { build: (_s, payload) => positionFilter(payload) },
  },
  futures: {
    spotPrice: { symbol: 'underlying', batch: true, build: withSymbol('index') },
    kline: { symbol: 'underlying', build: kline },
    orderBook: { symbol: 'underlying', batch: true, build: withSymbol('book') },
    lastTrade: { symbol: 'underlying', batch: true, build: withSymbol('trades') },
    fillSignal: { build: () => ({ kind: 'fills', symbol: undefined }) },
    order: { build: () => ({ kind: 'orders' }) },
    position: { build: () => ({ kind: 'positions', underlyings: undefined }) },
  },
};

function optionalOptionSymbol(payload: Payload, now: number): TopicParams | string {
  const symbol = payload?.['symbol'];
  if (symbol === undefined) return { kind: 'fills', symbol: undefined };
  if (typeof symbol !== 'string' || liveOption(symbol, now) === undefined) return `unknown symbol ${String(symbol)}`;
  return { kind: 'fills', symbol };
}

function positionFilter(payload: Payload): TopicParams | string {
  const symbols = payload?.['symbol'];
  if (symbols === undefined) return { kind: 'positions', underlyings: undefined };
  const list = Array.isArray(symbols) ? symbols : [symbols];
  const bad = list.find((s) => typeof s !== 'string' || underlyingSpec(s) === undefined);
  if (bad !== undefined || list.length === 0) return `unknown underlying ${String(bad)}`;
  return { kind: 'positions', underlyings: list as string[] };
}

function checkSymbol(kind: SymbolKind, symbol: unknown, now: number): string | undefined {
  if (typeof symbol !== 'string') return 'symbol must be a string';
  if (kind === 'underlying') return underlyingSpec(symbol) === undefined ? `unknown symbol ${symbol}` : undefined;
  return liveOption(symbol, now) === undefined ? `unknown or expired option ${symbol}` : undefined;
}

/** The normalised payload of a topic, as `activeSubscriptions()` reports it. */
function payloadOf(params: TopicParams): Payload {
  switch (params.kind) {
    case 'index':
    case 'pricing':
    case 'book':
    case 'trades':
      return { symbol: params.symbol };
    case 'kline':
      return { symbol: params.symbol, period: KlinePeriod.values[params.period].code };
    case 'chain':
      return { symbol: params.underlying, end: params.end };
    case 'fills':
      return params.symbol === undefined ? undefined : { symbol: params.symbol };
    case 'positions':
      return params.underlyings === undefined ? undefined : { symbol: [...params.underlyings] };
    case 'balance':
    case 'orders':
      return undefined;
  }
}

function topicOf(dataType: string, params: TopicParams): Topic {
  const payload = payloadOf(params);
  return { dataType, key: `${dataType}|${canonicalKey(payload ?? null)}`, payload, params };
}

/** Validates a subscribe/unsubscribe request and expands it to its topics. */
export function parseTopics(market: MarketName, dataType: unknown, payload: unknown, now: number): ParsedTopics {
  if (typeof dataType !== 'string' || dataType === '') return { ok: false, reason: 'missing dataType' };
  const rule = RULES[market][dataType];
  if (rule === undefined || channelOf(market, dataType) === undefined) return { ok: false, reason: `unknown dataType ${dataType} on ${market}` };
  if (payload !== undefined && payload !== null && (typeof payload !== 'object' || Array.isArray(payload)))
    return { ok: false, reason: 'payload must be an object' };
  const body = (payload ?? undefined) as Payload;
  if (rule.symbol === undefined) {
    const params = rule.build('', body, now);
    return typeof params === 'string' ? { ok: false, reason: params } : { ok: true, topics: [topicOf(dataType, params)] };
  }
  const raw = body?.['symbol'];
  if (raw === undefined) return { ok: false, reason: 'missing symbol' };
  const symbols = Array.isArray(raw) && rule.batch === true ? (raw as unknown[]) : [raw];
  if (symbols.length === 0 || symbols.length > MAX_BATCH_SYMBOLS) return { ok: false, reason: `symbol must list 1 to ${MAX_BATCH_SYMBOLS} symbols` };
  const topics: Topic[] = [];
  for (const symbol of symbols) {
    const problem = checkSymbol(rule.symbol, symbol, now);
    if (problem !== undefined) return { ok: false, reason: problem };
    const params = rule.build(symbol as string, body, now);
    if (typeof params === 'string') return { ok: false, reason: params };
    topics.push(topicOf(dataType, params));
  }
  return { ok: true, topics };
}
