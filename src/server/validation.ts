/**
 * Argument values that fail GraphQL's own checks (an unknown enum value such
 * as a bad `period`, a string where an Int belongs) are bad user input: this
 * rule set tags them with `extensions.code: BAD_USER_INPUT`, like every other
 * argument problem, instead of a bare validation error.
 */
import { specifiedRules, ValuesOfCorrectTypeRule, type GraphQLError, type ValidationRule } from 'graphql';
import { expectedGraphQLError } from '../lib/errors.ts';

const TaggedValuesOfCorrectTypeRule: ValidationRule = (context) => {
  const tagging = new Proxy(context, {
    get(target, prop, receiver) {
      if (prop === 'reportError')
        return (error: GraphQLError) =>
          target.reportError(expectedGraphQLError('BAD_USER_INPUT', error.message, { nodes: error.nodes, extensions: error.extensions }));
      const value: unknown = Reflect.get(target, prop, receiver);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  return ValuesOfCorrectTypeRule(tagging);
};

export const validationRules: readonly ValidationRule[] = specifiedRules.map((rule) =>
  rule === ValuesOfCorrectTypeRule ? TaggedValuesOfCorrectTypeRule : rule,
);
