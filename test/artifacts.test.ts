/**
 * Committed artifacts stay in step with the code: the printed SDL, the typed
 * documents generated from the example operations, one example operation
 * per root field, and the README's channel table. Also: no abbreviated exchange key leaks into the schema, and
 * every type, field and argument has a description.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { isEnumType, isInputObjectType, isObjectType, printSchema } from 'graphql';
import { describe, expect, it } from 'vitest';
import { generateTypedDocuments } from '../codegen.ts';
import { CHANNEL_IDS } from '../src/channels/registry.ts';
import { gatewaySchema } from '../src/graphql/schema.ts';
import { withChannelTable } from '../scripts/channel-table.ts';

const schema = gatewaySchema();
const ABBREVIATIONS = [
  'mp',
  'lp',
  'biv',
  'aiv',
  'sd',
  'pr',
  'oi',
  'cr',
  'cv',
  'pe',
  'si',
  'am',
  'ap',
  'elp',
  'pnl',
  'im',
  'mm',
  'uid',
  'upnl',
  'oid',
  'coid',
  'tif',
  'os',
  'ro',
  'le',
  'ct',
  'fq',
  'rq',
  'mpr',
  'mq',
  'cq',
  'ab',
  'dv',
  'mb',
  'wb',
  'btcv',
  'tv',
  'tva',
  'upv',
  'rt',
  'iv',
  'miv',
];

describe('schema/schema.graphql', () => {
  it('matches the schema the code builds (run `npm run schema` after a change)', () => {
    expect(readFileSync(new URL('../schema/schema.graphql', import.meta.url), 'utf8')).toBe(`${printSchema(schema)}\n`);
  });

  it('names no field or argument with an exchange abbreviation', () => {
    for (const type of Object.values(schema.getTypeMap())) {
      if (type.name.startsWith('__') || !isObjectType(type)) continue;
      for (const field of Object.values(type.getFields())) {
        expect(ABBREVIATIONS, `${type.name}.${field.name}`).not.toContain(field.name);
        for (const arg of field.args) expect(ABBREVIATIONS).not.toContain(arg.name);
      }
    }
  });

  it('describes every type, field, argument and enum value', () => {
    for (const type of Object.values(schema.getTypeMap())) {
      if (type.name.startsWith('__') || ['String', 'Int', 'Float', 'Boolean', 'ID'].includes(type.name)) continue;
      expect(type.description, type.name).toBeTruthy();
      if (isObjectType(type) || isInputObjectType(type))
        for (const field of Object.values(type.getFields())) {
          expect(field.description, `${type.name}.${field.name}`).toBeTruthy();
          if ('args' in field)
            for (const arg of field.args) expect(arg.description, `${type.name}.${field.name}(${arg.name})`).toBeTruthy();
        }
      if (isEnumType(type)) for (const value of type.getValues()) expect(value.description, `${type.name}.${value.name}`).toBeTruthy();
    }
  });
});

describe('schema/operations and codegen', () => {
  it('has an example operation for every root field', () => {
    const names = readdirSync(new URL('../schema/operations/', import.meta.url)).map((f) => f.replace(/\.graphql$/, ''));
    expect(names).toEqual(expect.arrayContaining([...CHANNEL_IDS, 'status']));
  });

  it('test/generated/graphql.ts is what codegen makes of them (run `npm run codegen` after a change)', async () => {
    expect(await generateTypedDocuments()).toBe(readFileSync(new URL('./generated/graphql.ts', import.meta.url), 'utf8'));
  }, 60_000);
});

describe("README.md's channel table", () => {
  it('is the one the channel files make: every channel, its arguments and what it emits (run `npm run schema` after a change)', () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    expect(readme).toBe(withChannelTable(readme));
    for (const id of CHANNEL_IDS) expect(readme).toContain(`| \`${id}\` |`);
  });
});
