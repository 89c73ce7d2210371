/**
 * The subscription root field of an operation: what the fan-out's delivery
 * policy and the metrics' per-field labels are keyed by.
 */
import { Kind, type ExecutionArgs, type OperationDefinitionNode } from 'graphql';

/** The field label of a subscription whose root field cannot be told (bounded). */
export const UNKNOWN_FIELD = 'unknown';

/** The subscription root field of a document's operation; undefined for queries and odd documents. */
export function rootFieldOf(args: Pick<ExecutionArgs, 'document' | 'operationName'>): string | undefined {
  const operation = args.document.definitions.find(
    (d): d is OperationDefinitionNode =>
      d.kind === Kind.OPERATION_DEFINITION && (args.operationName == null || d.name?.value === args.operationName),
  );
  if (operation?.operation !== 'subscription') return undefined;
  const [first] = operation.selectionSet.selections;
  return first?.kind === Kind.FIELD ? first.name.value : undefined;
}
