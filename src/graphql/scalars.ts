/** Custom scalars: `DateTime` (ISO-8601 UTC, milliseconds) and `Decimal` (exact decimal strings). */
import { Kind } from 'graphql';
import { PLAIN_DECIMAL } from '../lib/decimal.ts';
import { asGraphQLError, badInput as gatewayBadInput } from '../lib/errors.ts';
import { builder } from './builder.ts';

const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:\d{2})$/;

/** A BAD_USER_INPUT error, thrown as a GraphQLError so graphql-js reports its message unchanged. */
const badInput = (message: string) => asGraphQLError(gatewayBadInput(message));

function parseDateTime(value: unknown): number {
  if (typeof value !== 'string' || !ISO_DATE_TIME.test(value))
    throw badInput(
      `DateTime must be an ISO-8601 date and time with a zone, e.g. "2023-05-27T08:00:00.000Z"; got ${JSON.stringify(value)}.`,
    );
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw badInput(`DateTime ${JSON.stringify(value)} is not a real date.`);
  return ms;
}

builder.scalarType('DateTime', {
  description: 'An instant as an ISO-8601 UTC string with milliseconds, e.g. `2023-05-26T09:30:00.000Z`.',
  serialize: (value) => new Date(value).toISOString(),
  parseValue: parseDateTime,
  parseLiteral: (node) => parseDateTime(node.kind === Kind.STRING ? node.value : undefined),
});

function parseDecimal(value: unknown): string {
  if (typeof value !== 'string' || !PLAIN_DECIMAL.test(value))
    throw badInput(`Decimal must be a decimal number as a string, e.g. "26443.9".`);
  return value;
}

builder.scalarType('Decimal', {
  description:
    'An exact decimal number as a string, e.g. `"26443.9"`: prices, sizes, balances. Strings from the exchange are passed through digit for digit.',
  serialize: (value) => value,
  parseValue: parseDecimal,
  parseLiteral: (node) => parseDecimal(node.kind === Kind.STRING ? node.value : undefined),
});
