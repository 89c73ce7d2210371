/**
 * The static cost of an operation, checked before execution against
 * MAX_QUERY_COST (a validation rule; `guards.ts` puts it with the other
 * query limits). The cost estimates the work and the size of the answer:
 *
 * - every field selected costs 1: each alias is a field of its own, and
 *   `__typename` counts like any other (aliased 600 times, it costs 600);
 * - a field with a selection costs 1 plus the cost of its selection;
 * - a list field multiplies the cost of one element by the list's expected
 *   length: its current length where the server knows it (the instrument
 *   list: `Query.instruments` costs as many elements as are listed now),
 *   else its `limit` argument when given as a literal, else its declared
 *   estimate (`LIST_SIZE_ESTIMATES`), else DEFAULT_LIST_SIZE;
 * - fragments cost what they select (both sides of an abstract type are
 *   counted); introspection (`__schema`, `__type`) costs INTROSPECTION_COST.
 *
 * Over the limit: `LIMIT_EXCEEDED` naming MAX_QUERY_COST, with the cost found.
 */
import {
  getNamedType,
  getNullableType,
  isCompositeType,
  isInterfaceType,
  isListType,
  isObjectType,
  Kind,
  typeFromAST,
  type FieldNode,
  type GraphQLCompositeType,
  type GraphQLOutputType,
  type OperationDefinitionNode,
  type SelectionSetNode,
  type ValidationContext,
  type ValidationRule,
} from 'graphql';
import { MAX_CLUSTER_EVENT_PUBLISHERS } from '../lib/cluster-config.ts';
import { limitExceededError } from '../lib/errors.ts';

/** The expected length of a list field nothing else tells about. */
export const DEFAULT_LIST_SIZE = 100;
/** The cost of one introspection field (`__schema`, `__type`): bounded by the schema's size, the same for everyone. */
export const INTROSPECTION_COST = 1_000;

/** Declared expected lengths of list fields, by schema coordinate (`Type.field`). */
export const LIST_SIZE_ESTIMATES: Readonly<Record<string, number>> = {
  // Public topics of a busy gateway.
  'GatewayStatus.topics': 1_000,
  // A topic's holders: one replica for a state topic, at most CLUSTER_EVENT_PUBLISHERS for trades
  // (none in a single gateway), so `status { topics { holders } }` runs within the default limit.
  'UpstreamTopic.holders': MAX_CLUSTER_EVENT_PUBLISHERS,
  // Two public connections, and one per market and account in use.
  'GatewayStatus.connections': 100,
  // Strikes of one expiry, calls and puts.
  'OptionChain.tickers': 200,
  'Query.expiries': 50,
  // Recent trades: at most 100 (`limit`).
  'Query.optionTrades': 100,
  'Query.futuresTrades': 100,
};

/** The current length of a list field, by schema coordinate, when the server knows it (undefined: not known now). */
export type CurrentListSizes = Readonly<Record<string, () => number | undefined>>;

export interface QueryCostOptions {
  readonly maxCost: number;
  readonly currentListSizes?: CurrentListSizes;
}

const INTROSPECTION_FIELDS: ReadonlySet<string> = new Set(['__schema', '__type']);

/** The expected length of the list field `coordinate` as selected by `node`. */
function listSize(coordinate: string, node: FieldNode, current: CurrentListSizes | undefined): number {
  const now = current?.[coordinate]?.();
  if (now !== undefined) return now;
  const limit = node.arguments?.find((a) => a.name.value === 'limit')?.value;
  if (limit?.kind === Kind.INT) return Number.parseInt(limit.value, 10);
  return LIST_SIZE_ESTIMATES[coordinate] ?? DEFAULT_LIST_SIZE;
}

/** The cost of `operation` (see the module comment). */
export function operationCost(context: ValidationContext, operation: OperationDefinitionNode, current?: CurrentListSizes): number {
  const schema = context.getSchema();
  // Each fragment is costed once (its type condition fixes its parent type); a cycle costs nothing (another rule refuses it).
  const fragments = new Map<string, number>();

  const selectionCost = (set: SelectionSetNode, parent: GraphQLCompositeType): number => {
    let cost = 0;
    for (const selection of set.selections) {
      if (selection.kind === Kind.FIELD) cost += fieldCost(selection, parent);
      else if (selection.kind === Kind.INLINE_FRAGMENT) {
        const type = selection.typeCondition === undefined ? parent : typeFromAST(schema, selection.typeCondition);
        cost += isCompositeType(type) ? selectionCost(selection.selectionSet, type) : 0;
      } else {
        const name = selection.name.value;
        let known = fragments.get(name);
        if (known === undefined) {
          fragments.set(name, 0);
          const fragment = context.getFragment(name);
          const type = fragment === undefined || fragment === null ? undefined : typeFromAST(schema, fragment.typeCondition);
          known = fragment !== undefined && fragment !== null && isCompositeType(type) ? selectionCost(fragment.selectionSet, type) : 0;
          fragments.set(name, known);
        }
        cost += known;
      }
    }
    return cost;
  };

  const fieldCost = (node: FieldNode, parent: GraphQLCompositeType): number => {
    const name = node.name.value;
    if (INTROSPECTION_FIELDS.has(name)) return INTROSPECTION_COST;
    if (name === '__typename' || !(isObjectType(parent) || isInterfaceType(parent))) return 1;
    const field = parent.getFields()[name];
    // An unknown field: another rule refuses it.
    if (field === undefined) return 1;
    const coordinate = `${parent.name}.${name}`;
    let multiplier = 1;
    let type: GraphQLOutputType = getNullableType(field.type);
    while (isListType(type)) {
      multiplier *= listSize(coordinate, node, current);
      type = getNullableType(type.ofType);
    }
    const named = getNamedType(type);
    const element = node.selectionSet !== undefined && isCompositeType(named) ? 1 + selectionCost(node.selectionSet, named) : 1;
    return multiplier === 1 ? element : 1 + multiplier * element;
  };

  const root = schema.getRootType(operation.operation);
  return root === undefined || root === null ? 0 : selectionCost(operation.selectionSet, root);
}

/** The validation rule: refuses an operation whose cost is over `maxCost` with LIMIT_EXCEEDED. */
export function queryCostRule(options: QueryCostOptions): ValidationRule {
  return (context) => ({
    OperationDefinition(operation) {
      const cost = operationCost(context, operation, options.currentListSizes);
      if (cost > options.maxCost)
        context.reportError(
          limitExceededError(
            `Operation refused: its cost is ${Math.ceil(cost)}, over the limit of ${options.maxCost} (MAX_QUERY_COST). Lists count as many times as they are long: select fewer list fields, or fewer fields per element.`,
          ),
        );
      return false;
    },
  });
}
