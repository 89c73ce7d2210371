/**
 * The linter is wired: `npm run lint` runs ESLint and Prettier's check, CI
 * runs it and counts its failure, ESLint's flat config loads and holds the
 * house rules, and Prettier leaves generated files and results alone.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));
const read = (path: string) => readFileSync(new URL(`../${path}`, import.meta.url), 'utf8');

/** A JSON object's string field, checked instead of cast. */
function stringAt(value: unknown, ...path: readonly string[]): string {
  let current = value;
  for (const key of path) {
    if (typeof current !== 'object' || current === null || !(key in current)) throw new Error(`no ${path.join('.')}`);
    current = (current as Record<string, unknown>)[key];
  }
  if (typeof current !== 'string') throw new Error(`${path.join('.')} is not a string`);
  return current;
}

const pkg: unknown = JSON.parse(read('package.json'));

describe('lint wiring', () => {
  it('npm run lint runs ESLint and then Prettier --check over the whole repository; npm run format rewrites', () => {
    expect(stringAt(pkg, 'scripts', 'lint')).toBe('eslint . && prettier --check .');
    expect(stringAt(pkg, 'scripts', 'format')).toBe('prettier --write .');
  });

  it('CI runs npm run lint after the tests and counts its failure in the final line', () => {
    const ci = read('.ci/run');
    const tests = ci.indexOf('npm test');
    const lint = ci.indexOf('npm run lint\nlint=$?');
    expect(tests).toBeGreaterThan(-1);
    expect(lint).toBeGreaterThan(tests);
    // The status reaches the summary script, which adds one failure for it, and the exit code.
    expect(ci).toContain('"$report" "$status" "$lint"');
    expect(ci).toContain('if (lint !== 0)');
    expect(ci).toMatch(/exit \$lint\s*$/);
  });

  it('Prettier: 140 columns, single quotes; generated files, fixtures, results and the lock file are not checked', () => {
    const config: unknown = JSON.parse(read('.prettierrc.json'));
    expect(config).toMatchObject({ printWidth: 140, singleQuote: true });
    const ignored = read('.prettierignore')
      .split('\n')
      .filter((line) => line !== '' && !line.startsWith('#'));
    expect(ignored).toEqual(
      expect.arrayContaining([
        'dist/',
        'node_modules/',
        'package-lock.json',
        'schema/',
        'bench/results/',
        'test/generated/',
        'test/fixtures/',
      ]),
    );
  });

  it('the ESLint config loads and refuses `any`, `as never` and an unused name in TypeScript', async () => {
    const eslint = new ESLint({ cwd: root });
    const [result] = await eslint.lintText(
      'export const a = (x: any): string => x;\nexport const b = (x: unknown): string => x as never;\nconst unused = 1;\n',
      { filePath: `${root}src/lint-probe.ts` },
    );
    const rules = (result?.messages ?? []).map((m) => m.ruleId);
    expect(rules).toEqual(
      expect.arrayContaining(['@typescript-eslint/no-explicit-any', 'no-restricted-syntax', '@typescript-eslint/no-unused-vars']),
    );
    expect(result?.fatalErrorCount).toBe(0);
  });

  it('ESLint ignores build output, results and generated code', async () => {
    const eslint = new ESLint({ cwd: root });
    for (const path of ['dist/main.js', 'bench/results/x.ts', 'test/generated/graphql.ts'])
      expect(await eslint.isPathIgnored(`${root}${path}`)).toBe(true);
    expect(await eslint.isPathIgnored(`${root}src/main.ts`)).toBe(false);
  });
});
