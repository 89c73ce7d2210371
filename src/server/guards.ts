/**
 * The operation guards, applied alike to plain HTTP, SSE and graphql-ws as one
 * yoga/envelop plugin of the parse and validate stages: query limits (tokens,
 * depth, aliases, cost, directives; graphql-armor's rules) checked before
 * execution, each refusal with `extensions.code: LIMIT_EXCEEDED` naming its
 * limit (the cost model, which weighs lists by their length, is the
 * gateway's own: `query-cost.ts`; `__typename` aliases count as aliases); argument values that fail GraphQL's own checks (an unknown enum value
 * such as a bad `period`, a string where an Int belongs) tagged
 * `BAD_USER_INPUT` like every other argument problem (an enum's listing its
 * valid values: `enum-values.ts`); and the refusal of the
 * per-connection subscription cap. (The connection cap and the body cap sit
 * in front of yoga: `connection-gate.ts`, `request-gate.ts`, `upgrade-gate.ts`.)
 */
import { maxAliasesRule } from '@escape.tech/graphql-armor-max-aliases';
import { maxDepthRule } from '@escape.tech/graphql-armor-max-depth';
import { maxDirectivesRule } from '@escape.tech/graphql-armor-max-directives';
import { MaxTokensParserWLexer } from '@escape.tech/graphql-armor-max-tokens';
import {
  specifiedRules,
  validate,
  ValuesOfCorrectTypeRule,
  type GraphQLError,
  type DocumentNode,
  type GraphQLSchema,
  type ParseOptions,
  type Source,
  type ValidationContext,
  type ValidationRule,
} from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { badInputError, limitExceededError } from '../lib/errors.ts';
import type { GatewayLimits } from '../lib/limits.ts';
import { withEnumValues } from './enum-values.ts';
import { queryCostRule, type CurrentListSizes } from './query-cost.ts';

/** ValuesOfCorrectTypeRule, its errors tagged BAD_USER_INPUT. */
const TaggedValuesOfCorrectTypeRule: ValidationRule = (context) => {
  const tagging = new Proxy(context, {
    get(target, prop, receiver) {
      if (prop === 'reportError')
        return (error: GraphQLError) =>
          target.reportError(
            badInputError(withEnumValues(error.message, target.getSchema()), { nodes: error.nodes, extensions: error.extensions }),
          );
      const value: unknown = Reflect.get(target, prop, receiver);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  return ValuesOfCorrectTypeRule(tagging);
};

/** GraphQL's own rules, with ValuesOfCorrectTypeRule's errors tagged BAD_USER_INPUT. */
export const validationRules: readonly ValidationRule[] = specifiedRules.map((rule) =>
  rule === ValuesOfCorrectTypeRule ? TaggedValuesOfCorrectTypeRule : rule,
);

/** graphql-armor reports "Syntax Error: <what>"; a client gets "Operation refused: <what> (<VARIABLE>)." instead. */
function refusal(variable: string): (context: ValidationContext | null, error: GraphQLError) => void {
  return (context, error) => {
    const what = error.message.replace(/^Syntax Error:\s*/, '').replace(/\.$/, '');
    context?.reportError(limitExceededError(`Operation refused: ${what} (${variable}).`));
  };
}

/** What the query limits need besides the limits: the current length of list fields the server knows (the instrument list). */
export interface QueryLimitOptions {
  readonly currentListSizes?: CurrentListSizes;
}

/** The query limit rules (graphql-armor's and the cost model), reporting (not throwing) a tagged error. */
export function queryLimitRules(limits: GatewayLimits, options: QueryLimitOptions = {}): ValidationRule[] {
  const report = (variable: string) => ({ onReject: [refusal(variable)], propagateOnRejection: false });
  return [
    ...([
      maxDepthRule({ n: limits.maxQueryDepth, ...report('MAX_QUERY_DEPTH') }),
      // `__typename` is no exception: 600 aliases of it are 600 fields to execute and send.
      maxAliasesRule({ n: limits.maxAliases, allowList: [], ...report('MAX_ALIASES') }),
      maxDirectivesRule({ n: limits.maxDirectives, ...report('MAX_DIRECTIVES') }),
    ] as ValidationRule[]),
    queryCostRule({
      maxCost: limits.maxQueryCost,
      ...(options.currentListSizes === undefined ? {} : { currentListSizes: options.currentListSizes }),
    }),
  ];
}

/** Parses like `graphql`'s `parse`, but stops at the token limit with a LIMIT_EXCEEDED error. */
export function limitedParser(maxTokens: number): (source: string | Source, options?: ParseOptions) => DocumentNode {
  const onReject = () => {
    throw limitExceededError(`Operation refused: the document has more than ${maxTokens} tokens (MAX_TOKENS).`);
  };
  return (source, options) =>
    new MaxTokensParserWLexer(source, { ...options, n: maxTokens, onReject: [onReject], propagateOnRejection: false }).parseDocument();
}

/**
 * The yoga/envelop plugin that applies the query limits: on HTTP and SSE
 * through yoga, on graphql-ws through the same `getEnveloped()` pipeline.
 * It also keeps the gateway's tagged argument validation (BAD_USER_INPUT).
 */
export function useQueryLimits(limits: GatewayLimits, options: QueryLimitOptions = {}): Plugin {
  const parse = limitedParser(limits.maxTokens);
  const rules = [...validationRules, ...queryLimitRules(limits, options)];
  // Documents (the parse cache's own objects, per schema) that passed every rule: validating them
  // again would find nothing. Only clean ones are kept, weakly: a failed validation's errors hold
  // its whole validation state alive, and an evicted document takes its entry with it. A cost
  // depends on the current list lengths too: when one changes, every document is costed again.
  const clean = new WeakMap<GraphQLSchema, { readonly lengths: string; readonly documents: WeakSet<DocumentNode> }>();
  const sizes = Object.values(options.currentListSizes ?? {});
  const lengthsNow = () => sizes.map((size) => String(size())).join(',');
  return {
    onParse({ setParseFn }) {
      setParseFn(parse);
    },
    onValidate({ setValidationFn }) {
      setValidationFn((schema, document) => {
        const lengths = lengthsNow();
        let passed = clean.get(schema);
        if (passed?.lengths === lengths && passed.documents.has(document)) return [];
        const errors = validate(schema, document, rules);
        if (errors.length > 0) return errors;
        if (passed?.lengths !== lengths) clean.set(schema, (passed = { lengths, documents: new WeakSet() }));
        passed.documents.add(document);
        return errors;
      });
    },
  };
}

export const tooManySubscriptions = (max: number) =>
  limitExceededError(
    `Too many subscriptions on this connection: the limit is ${max} (MAX_SUBSCRIPTIONS_PER_CONNECTION). Complete one before starting another.`,
  );
