/**
 * Writes each channel's example operation (declared in its channel file) to
 * schema/operations/<id>.graphql; `status.graphql`, not a channel, stays
 * hand-written. Run by `npm run schema` (through print-schema.ts). With
 * --check, fails when a file is stale or missing.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { channelOperationFiles } from '../src/channels/examples.ts';

const directory = new URL('../schema/operations/', import.meta.url);
const read = (file: string): string | undefined => {
  try {
    return readFileSync(new URL(file, directory), 'utf8');
  } catch {
    return undefined;
  }
};

const stale = channelOperationFiles().filter(({ file, text }) => read(file) !== text);
if (process.argv.includes('--check')) {
  if (stale.length > 0) {
    console.error(`schema/operations is stale (${stale.map((s) => s.file).join(', ')}): run npm run schema`);
    process.exit(1);
  }
} else for (const { file, text } of stale) writeFileSync(new URL(file, directory), text);
