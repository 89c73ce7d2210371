/**
 * GraphQL Code Generator: typed documents (TypedDocumentNode) for the example
 * operations of schema/operations/, checked against schema/schema.graphql.
 * The end-to-end tests use them, so a schema change that breaks a client
 * breaks the build. `npm run codegen` writes test/generated/graphql.ts.
 */
import type { CodegenConfig } from '@graphql-codegen/cli';

const config: CodegenConfig = {
  schema: 'schema/schema.graphql',
  documents: 'schema/operations/*.graphql',
  generates: {
    'test/generated/graphql.ts': {
      plugins: ['typescript-operations', 'typed-document-node'],
      config: {
        scalars: { DateTime: 'string', Decimal: 'string' },
        enumsAsTypes: true,
        useTypeImports: true,
        avoidOptionals: { field: true, inputValue: false },
      },
    },
  },
};

export default config;
