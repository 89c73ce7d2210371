/**
 * Variable types for test operations, read from the schema itself: the
 * GraphQL type of a subscription root field's argument, as a variable
 * definition spells it (e.g. `String!`, `KlinePeriod!`, `[String!]`).
 */
import { gatewaySchema } from '../../src/graphql/schema.ts';

/** The argument's GraphQL type, or undefined when the root field has no such argument. */
export function argType(rootField: string, arg: string): string | undefined {
  const field = gatewaySchema().getSubscriptionType()?.getFields()[rootField];
  return field?.args.find((a) => a.name === arg)?.type.toString();
}
