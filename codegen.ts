/**
 * GraphQL Code Generator: typed documents (TypedDocumentNode) for the example
 * operations of schema/operations/, checked against schema/schema.graphql.
 * The end-to-end tests use them, so a schema change that breaks a client
 * breaks the build. `npm run codegen` writes test/generated/graphql.ts; the
 * artifacts test compares it with `generateTypedDocuments()`.
 *
 * It drives `@graphql-codegen/core` with the two plugins directly instead of
 * `@graphql-codegen/cli`: the CLI's schema and document loaders (URL, git,
 * GitHub, Apollo Engine) are not needed for two local files, and their current
 * releases require Node 22 (`npm ci` on Node 20 printed about 160 EBADENGINE
 * warnings for them).
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { codegen } from '@graphql-codegen/core';
import * as typedDocumentNode from '@graphql-codegen/typed-document-node';
import * as typescriptOperations from '@graphql-codegen/typescript-operations';
import { buildSchema, parse } from 'graphql';

const SCHEMA = new URL('./schema/schema.graphql', import.meta.url);
const OPERATIONS = new URL('./schema/operations/', import.meta.url);
const TARGET = new URL('./test/generated/graphql.ts', import.meta.url);

const PLUGIN_CONFIG = {
  scalars: { DateTime: 'string', Decimal: 'string' },
  enumsAsTypes: true,
  useTypeImports: true,
  avoidOptionals: { field: true, inputValue: false },
};

/** The content of test/generated/graphql.ts for the current schema and operations. */
export async function generateTypedDocuments(): Promise<string> {
  const sdl = readFileSync(SCHEMA, 'utf8');
  const files = readdirSync(OPERATIONS)
    .filter((file) => file.endsWith('.graphql'))
    .sort();
  return codegen({
    filename: 'test/generated/graphql.ts',
    schema: parse(sdl),
    schemaAst: buildSchema(sdl),
    documents: files.map((file) => ({
      location: `schema/operations/${file}`,
      document: parse(readFileSync(new URL(file, OPERATIONS), 'utf8')),
    })),
    config: PLUGIN_CONFIG,
    plugins: [{ 'typescript-operations': {} }, { 'typed-document-node': {} }],
    pluginMap: { 'typescript-operations': typescriptOperations, 'typed-document-node': typedDocumentNode },
  });
}

// Run as a script (`npm run codegen`), not imported by the test: write the file.
if (process.argv[1] !== undefined && pathToFileURL(process.argv[1]).href === import.meta.url)
  writeFileSync(TARGET, await generateTypedDocuments());
