/**
 * The whole gateway over a fresh scripted stand-in exchange (its upstream is
 * `coincall`, pointed at the fake's URLs, with a server key the fake accepts),
 * both disposed by `disposeAll()`.
 */
import type { AppOptions } from '../../src/app.ts';
import { startFakeExchange, type FakeExchange, type FakeExchangeOptions } from './fake-exchange.ts';
import { onDispose, startTestGateway, type TestGateway } from './gateway.ts';

export interface GatewayOnFakeExchange {
  readonly gateway: TestGateway;
  readonly exchange: FakeExchange;
}

/** The server's key on the gateway over the fake (which accepts any). */
const DEFAULT_SERVER_KEY = { apiKey: 'server-key', apiSecret: 'server-secret' };

type ServerKey = { readonly apiKey: string; readonly apiSecret: string };
interface GatewayOptions {
  readonly upstream?: AppOptions['upstream'];
  readonly serverKey?: ServerKey;
}

/** Starts the gateway on a running fake `exchange` (`upstream` timings over the test defaults). */
export async function startGatewayOn(
  exchange: FakeExchange,
  { upstream, serverKey = DEFAULT_SERVER_KEY }: GatewayOptions = {},
): Promise<TestGateway> {
  return startTestGateway({
    config: {
      upstream: 'coincall',
      optionsWsUrl: exchange.urls.options,
      futuresWsUrl: exchange.urls.futures,
      apiKey: serverKey.apiKey,
      apiSecret: serverKey.apiSecret,
    },
    ...(upstream === undefined ? {} : { upstream }),
  });
}

/** Starts a fake exchange with `exchangeOptions`, then the gateway on it. */
export async function startGatewayOnFakeExchange(
  exchangeOptions: FakeExchangeOptions = {},
  gatewayOptions: GatewayOptions = {},
): Promise<GatewayOnFakeExchange> {
  const exchange = await startFakeExchange(exchangeOptions);
  onDispose(() => exchange.close());
  return { gateway: await startGatewayOn(exchange, gatewayOptions), exchange };
}
