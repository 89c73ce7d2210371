/** The example operations of `schema/operations/`, preloaded as GraphiQL tabs. */
import { readdirSync, readFileSync } from 'node:fs';

export interface ExampleOperation {
  readonly name: string;
  readonly query: string;
}

export function loadExampleOperations(directory: URL): ExampleOperation[] {
  let files: string[];
  try {
    files = readdirSync(directory).filter((f) => f.endsWith('.graphql')).sort();
  } catch {
    return [];
  }
  return files.map((file) => ({ name: file.replace(/\.graphql$/, ''), query: readFileSync(new URL(file, directory), 'utf8') }));
}
