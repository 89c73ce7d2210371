/**
 * Trusted documents (TRUSTED_DOCUMENTS_FILE): GraphQL Code Generator's
 * `persisted-documents.json`, `{"<sha256 hex>": "<document>"}`. A request
 * names one by `documentId` (the hash, optionally prefixed `sha256:`), by
 * Apollo's `extensions.persistedQuery.sha256Hash`, or sends its exact text
 * (so a graphql-ws client needs no change). Each entry's hash is checked
 * against its text at load: a manifest that lies stops start-up.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';

export interface TrustedDocuments {
  readonly size: number;
  /** The document of a hash (a `documentId` or Apollo's `sha256Hash`). */
  byHash(hash: string): string | undefined;
  /** Whether this exact text is one of the documents. */
  hasText(text: string): boolean;
}

const sha256 = (text: string): string => createHash('sha256').update(text, 'utf8').digest('hex');
const HASH = /^(?:sha256:)?([0-9a-f]{64})$/i;

/** The manifest's text, parsed and checked; throws with what is wrong. */
export function parseTrustedDocuments(text: string, where: string): TrustedDocuments {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new Error(`${where}: not JSON`);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json))
    throw new Error(`${where}: must be an object {"<sha256>": "<document>"}`);
  const documents = new Map<string, string>();
  for (const [key, value] of Object.entries(json)) {
    const hash = HASH.exec(key)?.[1]?.toLowerCase();
    if (hash === undefined || typeof value !== 'string')
      throw new Error(`${where}: entry "${key.slice(0, 80)}" must map a sha256 hex to a document`);
    if (sha256(value) !== hash) throw new Error(`${where}: the document of ${hash} does not hash to it`);
    documents.set(hash, value);
  }
  return {
    size: documents.size,
    byHash: (hash) => {
      const found = HASH.exec(hash)?.[1]?.toLowerCase();
      return found === undefined ? undefined : documents.get(found);
    },
    hasText: (query) => documents.has(sha256(query)),
  };
}

export function loadTrustedDocuments(path: string): TrustedDocuments {
  return parseTrustedDocuments(readFileSync(path, 'utf8'), `TRUSTED_DOCUMENTS_FILE ${path}`);
}
