/**
 * `npm run schema`: writes the printed, sorted SDL to schema/schema.graphql
 * and the channels' example operations to schema/operations/. With --check,
 * fails when either is stale.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { printSchema } from 'graphql';
import { gatewaySchema } from '../src/graphql/schema.ts';
import './print-operations.ts';

const target = new URL('../schema/schema.graphql', import.meta.url);
const sdl = `${printSchema(gatewaySchema())}\n`;
if (process.argv.includes('--check')) {
  const current = readFileSync(target, 'utf8');
  if (current !== sdl) {
    console.error('schema/schema.graphql is stale: run npm run schema');
    process.exit(1);
  }
} else writeFileSync(target, sdl);
