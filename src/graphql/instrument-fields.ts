/**
 * Discovery: `Query.instruments` and `Query.expiries` from the instrument
 * registry (Coincall's REST listing, or the simulator's), and the
 * `InstrumentListStatus` object `status.instruments` reports. A filter naming
 * an unlisted underlying or expiry is refused with BAD_USER_INPUT naming
 * close listed alternatives, as subscriptions are. While no list is loaded
 * (state LOADING or FALLBACK) both queries answer an empty list.
 */
import { Market, OptionType } from '../channels/enums.ts';
import type { Instrument } from '../coincall/rest.ts';
import { isUnderlyingSymbol } from '../coincall/symbols.ts';
import { badInput } from '../lib/errors.ts';
import type { InstrumentRegistryStatus, RegistryState } from '../sources/coincall/instrument-registry.ts';
import { builder, type GatewayContext } from './builder.ts';
import { enumRef } from './enum-types.ts';
import { toGraphQLError } from './error-presentation.ts';

const InstrumentRef = builder.objectRef<Instrument>('Instrument').implement({
  description: 'A listed instrument: a perpetual future or an option.',
  fields: (t) => ({
    id: t.exposeID('id', { description: 'Stable identity: market and symbol (`OPTIONS:BTCUSD-27MAY23-24000-P`).' }),
    symbol: t.exposeString('symbol', { description: 'The symbol subscriptions take (`BTCUSD`, `BTCUSD-27MAY23-24000-P`).' }),
    market: t.field({ type: enumRef(Market), description: 'The market that trades it.', resolve: (i) => i.market }),
    underlying: t.exposeString('underlying', { description: "The underlying (`BTCUSD`); a perpetual's own symbol." }),
    expiry: t.field({
      type: 'DateTime',
      nullable: true,
      description: 'Option expiry (08:00 UTC); null for futures.',
      resolve: (i) => i.expiry,
    }),
    strike: t.field({ type: 'Decimal', nullable: true, description: 'Option strike; null for futures.', resolve: (i) => i.strike }),
    type: t.field({ type: enumRef(OptionType), nullable: true, description: 'Call or put; null for futures.', resolve: (i) => i.type }),
    tickSize: t.field({ type: 'Decimal', description: 'Smallest price increment.', resolve: (i) => i.tickSize }),
    minQuantity: t.field({
      type: 'Decimal',
      nullable: true,
      description: 'Smallest order quantity, when the exchange states one.',
      resolve: (i) => i.minQuantity,
    }),
    active: t.exposeBoolean('active', { description: 'Whether the exchange marks it active (tradable).' }),
  }),
});

const STATE_NAMES = { loading: 'LOADING', ready: 'READY', fallback: 'FALLBACK' } as const satisfies Record<RegistryState, string>;

const InstrumentListState = builder.enumType('InstrumentListState', {
  description: 'Whether the gateway checks symbols against a loaded instrument list.',
  values: {
    LOADING: { value: 'LOADING', description: 'The first load is running; symbols are checked by format only.' },
    READY: { value: 'READY', description: 'A list is loaded; unlisted symbols are refused.' },
    FALLBACK: { value: 'FALLBACK', description: 'No list could be loaded yet; symbols are checked by format only while it retries.' },
  },
});

export const InstrumentListStatusRef = builder.objectRef<InstrumentRegistryStatus>('InstrumentListStatus').implement({
  description: "The instrument registry: the exchange's list of instruments that subscriptions are checked against.",
  fields: (t) => ({
    state: t.field({
      type: InstrumentListState,
      description: 'Loading, ready, or falling back to format checks.',
      resolve: (s) => STATE_NAMES[s.state],
    }),
    lastLoadedAt: t.field({
      type: 'DateTime',
      nullable: true,
      description: 'When the list was last loaded successfully.',
      resolve: (s) => s.lastLoadedAt ?? null,
    }),
    lastError: t.string({
      nullable: true,
      description: 'Why the latest load failed; null after a success.',
      resolve: (s) => s.lastError ?? null,
    }),
    consecutiveFailures: t.int({ description: 'Failed loads since the last success.', resolve: (s) => s.consecutiveFailures }),
    futures: t.int({ description: 'Listed perpetuals.', resolve: (s) => s.futures }),
    options: t.int({ description: 'Listed options (expired ones included until the next refresh).', resolve: (s) => s.options }),
    underlyings: t.int({ description: 'Option underlyings.', resolve: (s) => s.underlyings }),
    skippedRows: t.int({ description: 'Malformed rows the last successful load skipped.', resolve: (s) => s.skippedRows }),
    rejectedRefreshes: t.int({
      description:
        'Refreshes kept out as implausible since start (an empty list, or more than half of the listed instruments gone); the last list stayed in force.',
      resolve: (s) => s.rejectedRefreshes.empty + s.rejectedRefreshes.shrunk,
    }),
    lastRejection: t.string({
      nullable: true,
      description: 'Why the latest kept-out refresh was kept out; null when none was.',
      resolve: (s) => s.lastRejection ?? null,
    }),
  }),
});

/** The registry's status; a setup without a registry reports FALLBACK with nothing loaded. */
export function instrumentStatus(ctx: GatewayContext): InstrumentRegistryStatus {
  return (
    ctx.instruments?.status() ?? {
      state: 'fallback',
      lastLoadedAt: undefined,
      lastError: 'no instrument registry in this setup',
      consecutiveFailures: 0,
      options: 0,
      futures: 0,
      underlyings: 0,
      skippedRows: 0,
      rejectedRefreshes: { empty: 0, shrunk: 0 },
      lastRejection: undefined,
    }
  );
}

/** The format check, naming close listed underlyings when the registry has some. */
function checkUnderlyingFormat(underlying: string, field: string, ctx: GatewayContext): void {
  if (isUnderlyingSymbol(underlying)) return;
  const listed = ctx.instruments?.checkUnderlying(underlying);
  const hint = listed === undefined || listed.ok ? '' : ` ${listed.message}`;
  throw badInput(`${field}: "underlying" must be an underlying such as BTCUSD (upper case, ending in USD).${hint}`);
}

function refuseUnlisted(check: { readonly ok: true } | { readonly ok: false; readonly message: string } | undefined, field: string): void {
  if (check !== undefined && !check.ok) throw badInput(`${field}: ${check.message}`);
}

interface InstrumentsArgs {
  readonly market?: string | null | undefined;
  readonly underlying?: string | null | undefined;
  readonly expiry?: number | null | undefined;
  readonly type?: string | null | undefined;
}

function listInstruments(args: InstrumentsArgs, ctx: GatewayContext): Instrument[] {
  const registry = ctx.instruments;
  const market = args.market === 'OPTIONS' || args.market === 'FUTURES' ? args.market : undefined;
  const type = args.type === 'CALL' || args.type === 'PUT' ? args.type : undefined;
  const underlying = args.underlying ?? undefined;
  const expiry = args.expiry ?? undefined;
  if (underlying !== undefined) {
    checkUnderlyingFormat(underlying, 'instruments', ctx);
    const asFutures = registry?.checkFuturesSymbol(underlying);
    const asOption = registry?.checkUnderlying(underlying);
    if (market === 'FUTURES') refuseUnlisted(asFutures, 'instruments');
    else if (market === 'OPTIONS' || asFutures?.ok !== true) refuseUnlisted(asOption, 'instruments');
    if (expiry !== undefined && market !== 'FUTURES') refuseUnlisted(registry?.checkExpiry(underlying, expiry), 'instruments');
  }
  return registry?.list({ market, underlying, expiry, type }) ?? [];
}

builder.queryField('instruments', (t) =>
  t.field({
    type: [InstrumentRef],
    description:
      'Listed instruments, futures first, then options by underlying, expiry, strike and type; every filter given must match. Empty while no list is loaded (see `status.instruments`).',
    args: {
      market: t.arg({ type: enumRef(Market), description: 'Only this market.' }),
      underlying: t.arg.string({ description: 'Only instruments of this underlying, e.g. `BTCUSD` (refused when not listed).' }),
      expiry: t.arg({
        type: 'DateTime',
        description: 'Only options of this expiry (08:00 UTC; refused when the underlying lists no such expiry).',
      }),
      type: t.arg({ type: enumRef(OptionType), description: 'Only calls or only puts.' }),
    },
    resolve: (_root, args, ctx) => {
      try {
        return listInstruments(args, ctx);
      } catch (error) {
        throw toGraphQLError(error);
      }
    },
  }),
);

builder.queryField('expiries', (t) =>
  t.field({
    type: ['DateTime'],
    description: 'Listed option expiries of an underlying, ascending. Empty while no list is loaded (see `status.instruments`).',
    args: { underlying: t.arg.string({ required: true, description: 'Option underlying, e.g. `BTCUSD` (refused when not listed).' }) },
    resolve: (_root, { underlying }, ctx) => {
      try {
        checkUnderlyingFormat(underlying, 'expiries', ctx);
        refuseUnlisted(ctx.instruments?.checkUnderlying(underlying), 'expiries');
        return ctx.instruments?.expiries(underlying) ?? [];
      } catch (error) {
        throw toGraphQLError(error);
      }
    },
  }),
);
