/**
 * No test (nor the bench) depends on the machine's shared NATS server on 4222:
 * a test that needs an engine starts its own nats-server on a free port
 * (test/helpers/nats-server.ts), so killing or restarting it harms no one else.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = new URL('../', import.meta.url).pathname;
/** The shared server's address in any spelling a client would use. */
const SHARED_NATS = /(?:127\.0\.0\.1|localhost|0\.0\.0\.0|\[::1\]):4222\b/;

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path) : path.endsWith('.ts') ? [path] : [];
  });
}

describe("the machine's shared NATS server", () => {
  it('is named by no test, test helper or bench file', () => {
    const naming = [...files(join(ROOT, 'test')), ...files(join(ROOT, 'bench'))]
      .filter((file) => SHARED_NATS.test(readFileSync(file, 'utf8')))
      .map((file) => relative(ROOT, file));
    expect(naming).toEqual([]);
  });
});
