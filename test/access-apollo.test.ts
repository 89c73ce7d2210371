/**
 * Apollo Client with a gateway key: `HttpLink` (a query, and a subscription
 * over multipart HTTP) with `Authorization` in its headers, `GraphQLWsLink`
 * with `connectionParams.authorization`, and Apollo's persisted-query link
 * against TRUSTED_DOCUMENTS_FILE (the hash alone names the document).
 */
import { createHash } from 'node:crypto';
import { ApolloClient, ApolloLink, gql, HttpLink, InMemoryCache } from '@apollo/client';
import { PersistedQueryLink } from '@apollo/client/link/persisted-queries';
import { GraphQLWsLink } from '@apollo/client/link/subscriptions';
import { print } from 'graphql';
import { createClient } from 'graphql-ws';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { writeKeysFile, writeTempFile } from './helpers/access.ts';
import { disposeAll, onDispose, startTestGateway } from './helpers/gateway.ts';

const KEY = 'kap_partner_0123456789abcdefghijklm';
const STATUS = gql('query Status { status { mode } }');
const PRICE = gql('subscription Price { futuresIndexPrice(symbol: "BTCUSD") { symbol } }');
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

afterEach(disposeAll);

async function keysGateway(trustedDocumentsFile?: string) {
  const keysFile = writeKeysFile([{ id: 'partner-a', key: KEY, scopes: ['public'] }]);
  return startTestGateway({
    config: { access: { mode: 'keys', keysFile, ...(trustedDocumentsFile === undefined ? {} : { trustedDocumentsFile }) } },
  });
}

function firstValue(client: ApolloClient, query: typeof PRICE): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const subscription = client.subscribe({ query }).subscribe({
      next: (value) => {
        resolve(value.data ?? value.error);
        subscription.unsubscribe();
      },
      error: reject,
    });
  });
}

describe('Apollo Client with a gateway key', () => {
  it('HttpLink sends it in headers: a query answers and a multipart subscription streams', async () => {
    const gateway = await keysGateway();
    const client = new ApolloClient({
      link: new HttpLink({ uri: gateway.url, headers: { authorization: `Bearer ${KEY}` } }),
      cache: new InMemoryCache(),
    });
    onDispose(() => client.stop());
    expect((await client.query({ query: STATUS })).data).toEqual({ status: { __typename: 'GatewayStatus', mode: 'SIMULATED' } });
    expect(await firstValue(client, PRICE)).toMatchObject({ futuresIndexPrice: { symbol: 'BTCUSD' } });
  });

  it('HttpLink without the key gets UNAUTHENTICATED', async () => {
    const gateway = await keysGateway();
    const client = new ApolloClient({ link: new HttpLink({ uri: gateway.url }), cache: new InMemoryCache() });
    onDispose(() => client.stop());
    const result = await client.query({ query: STATUS, errorPolicy: 'all' }).catch((error: unknown) => ({ error }));
    expect(JSON.stringify(result)).toMatch(/401|UNAUTHENTICATED/);
  });

  it('GraphQLWsLink sends it as connectionParams.authorization', async () => {
    const gateway = await keysGateway();
    const ws = createClient({
      url: gateway.wsUrl,
      webSocketImpl: WebSocket,
      retryAttempts: 0,
      connectionParams: { authorization: `Bearer ${KEY}` },
    });
    const client = new ApolloClient({ link: new GraphQLWsLink(ws), cache: new InMemoryCache() });
    onDispose(async () => {
      client.stop();
      await ws.dispose();
    });
    expect(await firstValue(client, PRICE)).toMatchObject({ futuresIndexPrice: { symbol: 'BTCUSD' } });
  });

  it("Apollo's persisted-query link names a trusted document by its hash alone", async () => {
    // Apollo hashes the document as it sends it (with __typename added by the cache).
    const sent = print(new InMemoryCache().transformDocument(STATUS));
    const manifest = writeTempFile('persisted-documents.json', JSON.stringify({ [sha256(sent)]: sent }));
    const gateway = await keysGateway(manifest);
    const bodies: string[] = [];
    const recording: typeof fetch = async (input, init) => {
      bodies.push(String(init?.body ?? ''));
      return fetch(input, init);
    };
    const link = ApolloLink.from([
      new PersistedQueryLink({ sha256 }),
      new HttpLink({ uri: gateway.url, headers: { authorization: `Bearer ${KEY}` }, fetch: recording }),
    ]);
    const client = new ApolloClient({ link, cache: new InMemoryCache() });
    onDispose(() => client.stop());
    expect((await client.query({ query: STATUS })).data).toEqual({ status: { __typename: 'GatewayStatus', mode: 'SIMULATED' } });
    expect(bodies).toHaveLength(1);
    expect(bodies[0]).not.toContain('"query"');
  });
});
