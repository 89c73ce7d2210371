/**
 * Subscription requests as the simulator understands them: the registry's
 * channels say which dataTypes each market serves and what payload each takes
 * (their `simulate` hook); this file checks the generic part (payload shape,
 * single or batch symbols) and expands a valid request to its normalised
 * topics. Invalid requests, and requests for an instrument the simulator
 * does not list (`simulated-listing.ts`), come back with the reason the failed
 * acknowledgement carries, as the exchange refuses them.
 */
import type { AnyChannel } from '../channels/channel.ts';
import { ALL_CHANNELS } from '../channels/registry.ts';
import type { RequestContext, SimPayload } from '../channels/simulation.ts';
import type { MarketName } from '../coincall/protocol.ts';
import { canonicalKey } from '../lib/canonical.ts';
import type { SimulatorListing } from './simulated-listing.ts';

/** The most symbols one batch request may carry. */
export const MAX_BATCH_SYMBOLS = 100;

/** One upstream subscription of a connection. */
export interface Topic {
  readonly dataType: string;
  /** Identity of the topic on a connection: dataType and canonical payload. */
  readonly key: string;
  /** The normalised payload (one symbol even when the request was a batch). */
  readonly payload: Readonly<Record<string, unknown>> | undefined;
  /** The channel serving it, whose `simulate` hook builds its frames from `params`. */
  readonly channel: AnyChannel;
  readonly params: object;
  /** The option whose trades the topic watches, if any. */
  readonly watches: string | undefined;
}

export type ParsedTopics = { readonly ok: true; readonly topics: Topic[] } | { readonly ok: false; readonly reason: string };

/** The registry's channels of each market by dataType. */
const BY_DATA_TYPE: Readonly<Record<MarketName, ReadonlyMap<string, AnyChannel>>> = {
  options: new Map(ALL_CHANNELS.filter((c) => c.market === 'options').map((c) => [c.dataType, c])),
  futures: new Map(ALL_CHANNELS.filter((c) => c.market === 'futures').map((c) => [c.dataType, c])),
};

function checkSymbol(kind: 'option' | 'underlying', symbol: unknown, now: number, listing: SimulatorListing): string | undefined {
  if (typeof symbol !== 'string') return 'symbol must be a string';
  if (kind === 'underlying') return listing.isUnderlying(symbol) ? undefined : `unknown symbol ${symbol}: not listed`;
  return listing.isListedOption(symbol, now) ? undefined : `unknown or expired option ${symbol}: not listed`;
}

function requestContext(now: number, listing: SimulatorListing): RequestContext {
  return {
    now,
    isLiveOption: (symbol) => listing.isListedOption(symbol, now),
    isUnderlying: (symbol) => listing.isUnderlying(symbol),
    isListedExpiry: (underlying, expiry) => listing.isListedExpiry(underlying, expiry, now),
  };
}

function topicOf(channel: AnyChannel, params: object): Topic {
  const payload = channel.simulate.payloadOf(params);
  const dataType = channel.dataType;
  return {
    dataType,
    key: `${dataType}|${canonicalKey(payload ?? null)}`,
    payload,
    channel,
    params,
    watches: channel.simulate.watches?.(params),
  };
}

/** Validates a subscribe/unsubscribe request and expands it to its topics. */
export function parseTopics(market: MarketName, dataType: unknown, payload: unknown, now: number, listing: SimulatorListing): ParsedTopics {
  if (typeof dataType !== 'string' || dataType === '') return { ok: false, reason: 'missing dataType' };
  const channel = BY_DATA_TYPE[market].get(dataType);
  if (channel === undefined) return { ok: false, reason: `unknown dataType ${dataType} on ${market}` };
  if (payload !== undefined && payload !== null && (typeof payload !== 'object' || Array.isArray(payload)))
    return { ok: false, reason: 'payload must be an object' };
  const body = (payload ?? undefined) as SimPayload;
  const hook = channel.simulate;
  const request = requestContext(now, listing);
  if (hook.symbol === undefined) {
    const params = hook.params('', body, request);
    return typeof params === 'string' ? { ok: false, reason: params } : { ok: true, topics: [topicOf(channel, params)] };
  }
  const raw = body?.['symbol'];
  if (raw === undefined) return { ok: false, reason: 'missing symbol' };
  const symbols = Array.isArray(raw) && hook.batch === true ? (raw as unknown[]) : [raw];
  if (symbols.length === 0 || symbols.length > MAX_BATCH_SYMBOLS)
    return { ok: false, reason: `symbol must list 1 to ${MAX_BATCH_SYMBOLS} symbols` };
  const topics: Topic[] = [];
  for (const symbol of symbols) {
    const problem = checkSymbol(hook.symbol, symbol, now, listing);
    if (problem !== undefined) return { ok: false, reason: problem };
    const params = hook.params(symbol as string, body, request);
    if (typeof params === 'string') return { ok: false, reason: params };
    topics.push(topicOf(channel, params));
  }
  return { ok: true, topics };
}
