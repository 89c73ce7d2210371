// ESLint (flat config): ESLint's and typescript-eslint's recommended rules for every
// TypeScript file, plus the house rules the compiler does not already enforce.
// Formatting is Prettier's job (`npm run lint` runs both; `npm run format` rewrites).
import js from '@eslint/js';
import { defineConfig, globalIgnores } from 'eslint/config';
import tseslint from 'typescript-eslint';

export default defineConfig(
  globalIgnores(['dist/', 'bench/results/', 'examples/apollo-react/dist/', 'test/generated/', 'examples/apollo-react/src/generated/']),
  js.configs.recommended,
  tseslint.configs.recommended,
  {
    files: ['**/*.{ts,tsx}'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      // An unused name is a mistake; `_`-prefixed ones are deliberate (a required parameter, a rest sibling).
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_', ignoreRestSiblings: true },
      ],
      'no-restricted-syntax': [
        'error',
        { selector: 'TSAsExpression > TSNeverKeyword', message: '`as never` hides a type error: type the value instead.' },
      ],
      eqeqeq: ['error', 'always', { null: 'ignore' }],
      // A `let` read by a callback before its one assignment (a value built after the callbacks that use it) stays `let`.
      'prefer-const': ['error', { ignoreReadBeforeAssign: true }],
    },
  },
);
