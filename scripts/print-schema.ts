/**
 * `npm run schema`: writes the printed, sorted SDL to schema/schema.graphql,
 * the channels' example operations to schema/operations/ and the README's
 * channel table. With --check, fails when any of them is stale.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { printSchema } from 'graphql';
import { gatewaySchema } from '../src/graphql/schema.ts';
import './print-operations.ts';
import { withChannelTable } from './channel-table.ts';

const target = new URL('../schema/schema.graphql', import.meta.url);
const sdl = `${printSchema(gatewaySchema())}\n`;
if (process.argv.includes('--check')) {
  const current = readFileSync(target, 'utf8');
  if (current !== sdl) {
    console.error('schema/schema.graphql is stale: run npm run schema');
    process.exit(1);
  }
} else writeFileSync(target, sdl);

const readmeFile = new URL('../README.md', import.meta.url);
const readme = readFileSync(readmeFile, 'utf8');
const updated = withChannelTable(readme);
if (process.argv.includes('--check')) {
  if (updated !== readme) {
    console.error("README.md's channel table is stale: run npm run schema");
    process.exit(1);
  }
} else if (updated !== readme) writeFileSync(readmeFile, updated);
