/**
 * schema/operations/ is generated from the channel files: each channel's
 * `<id>.graphql` is its example operation, dedented (run `npm run schema`
 * after a change), and the only other file is the hand-written `status`
 * query. So a channel's example lives in one place, its channel file.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { operationText } from '../src/channels/example-context.ts';
import { channelOperationFiles } from '../src/channels/examples.ts';

const directory = new URL('../schema/operations/', import.meta.url);
const HAND_WRITTEN = ['status.graphql', 'statusUpdates.graphql'];

describe('schema/operations', () => {
  it.each(channelOperationFiles().map((f) => [f.file, f.text] as const))(
    "%s is the channel file's example operation (run `npm run schema`)",
    (file, text) => {
      expect(readFileSync(new URL(file, directory), 'utf8')).toBe(text);
    },
  );

  it("holds only the channels' operations and the status query", () => {
    const expected = [...channelOperationFiles().map((f) => f.file), ...HAND_WRITTEN].sort();
    expect(readdirSync(directory).sort()).toEqual(expected);
  });
});

describe('operationText', () => {
  it('drops the blank first and last lines and the common indent, keeping inner indents, and ends with a newline', () => {
    expect(operationText('\n    # note\n    query Q {\n      a\n\n      b\n    }\n  ')).toBe('# note\nquery Q {\n  a\n\n  b\n}\n');
  });
});
