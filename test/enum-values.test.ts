/**
 * An unknown enum value (`period: "1m"`) is refused with the enum's valid
 * values listed, whether it comes as a literal (validation) or a variable
 * (coercion at execution), on SSE/HTTP and graphql-ws alike.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { disposeAll, postGraphQL, startTestGateway, take, wsClient, type TestGateway } from './helpers/gateway.ts';

const VALID = 'Valid values: D1, H1, H4, M1, M5, M15, M30, MN1, QUARTER, W1.';
const LITERAL = 'subscription { futuresKline(symbol: "BTCUSD", period: "1m") { open } }';
const VARIABLE = {
  query: 'subscription ($period: KlinePeriod!) { futuresKline(symbol: "BTCUSD", period: $period) { open } }',
  variables: { period: '1m' },
};

let gateway: TestGateway;
beforeAll(async () => {
  gateway = await startTestGateway();
});
afterAll(disposeAll);

const messages = (body: Record<string, unknown>) =>
  (body['errors'] as Array<{ message: string; extensions?: { code?: string } }>).map((e) => [e.message, e.extensions?.code]);

describe('an unknown enum value', () => {
  it('lists the valid values over HTTP, as a literal and as a variable', async () => {
    const literal = await postGraphQL(gateway.url, { query: LITERAL });
    expect(messages(literal.body)).toEqual([[`Enum "KlinePeriod" cannot represent non-enum value: "1m". ${VALID}`, 'BAD_USER_INPUT']]);
    const variable = await postGraphQL(gateway.url, VARIABLE);
    expect(messages(variable.body)[0]?.[0]).toBe(
      `Variable "$period" got invalid value "1m"; Value "1m" does not exist in "KlinePeriod" enum. Did you mean the enum value "M1"? ${VALID}`,
    );
  });

  it('lists the valid values over graphql-ws', async () => {
    const client = wsClient(gateway.wsUrl);
    for (const operation of [{ query: LITERAL }, VARIABLE]) {
      const [result] = await take(client, operation, 1);
      expect(result?.errors?.[0]?.message).toContain(VALID);
    }
  });
});
