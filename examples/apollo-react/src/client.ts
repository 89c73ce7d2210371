/**
 * The page's Apollo Client: one `InMemoryCache` with no `typePolicies` (every
 * gateway entity has an `id`, so the cache normalizes by itself), and a split
 * link. An operation whose context asks for the WebSocket goes over graphql-ws
 * (`GraphQLWsLink`); everything else, subscriptions included, goes over
 * Apollo's default `HttpLink`, which streams subscriptions as multipart HTTP.
 */
import { ApolloClient, ApolloLink, HttpLink, InMemoryCache } from '@apollo/client';
import { GraphQLWsLink } from '@apollo/client/link/subscriptions';
import { createClient } from 'graphql-ws';

/** Where the gateway runs when the page's address does not say (`?gateway=http://host:port/graphql`). */
export const DEFAULT_GATEWAY_URL = 'http://localhost:4000/graphql';

/** The context that sends an operation over the WebSocket instead of HTTP. */
export const VIA_WEBSOCKET = { transport: 'websocket' } as const;

/** The gateway's GraphQL endpoint: the `gateway` parameter of the page's address, else the default. */
export function gatewayUrl(search: string): string {
  return new URLSearchParams(search).get('gateway') ?? DEFAULT_GATEWAY_URL;
}

export function createGatewayClient(httpUrl: string): ApolloClient {
  const ws = new GraphQLWsLink(createClient({ url: httpUrl.replace(/^http/, 'ws'), lazy: true }));
  const http = new HttpLink({ uri: httpUrl });
  return new ApolloClient({
    cache: new InMemoryCache(),
    link: ApolloLink.split((operation) => operation.getContext().transport === VIA_WEBSOCKET.transport, ws, http),
  });
}
