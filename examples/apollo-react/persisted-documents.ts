/**
 * The page's trusted documents manifest, in GraphQL Code Generator's
 * `persisted-documents.json` form (`{"<sha256 hex>": "<document>"}`): every
 * document of `src/operations.ts` exactly as Apollo Client sends it (the
 * cache adds `__typename`), hashed. `npm run example:manifest` writes
 * `examples/apollo-react/persisted-documents.json`; run the gateway with
 * TRUSTED_DOCUMENTS_FILE pointing at it and it serves this page only.
 */
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { InMemoryCache } from '@apollo/client';
import { Kind, print, type DocumentNode } from 'graphql';
import * as operations from './src/operations.ts';

const isDocument = (value: unknown): value is DocumentNode =>
  typeof value === 'object' && value !== null && 'kind' in value && value.kind === Kind.DOCUMENT;

/** The manifest of the page's documents. */
export function persistedDocuments(): Record<string, string> {
  const cache = new InMemoryCache();
  const manifest: Record<string, string> = {};
  for (const value of Object.values(operations) as unknown[]) {
    if (!isDocument(value)) continue;
    const text = print(cache.transformDocument(value));
    manifest[createHash('sha256').update(text).digest('hex')] = text;
  }
  return manifest;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const target = new URL('./persisted-documents.json', import.meta.url);
  writeFileSync(target, `${JSON.stringify(persistedDocuments(), null, 2)}\n`);
  console.log(`wrote ${fileURLToPath(target)}`);
}
