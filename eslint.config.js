import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  // mfl-*/: the default output folders of `mfl demo` and `mfl reproduce`.
  { ignores: ['dist/', 'build/', 'build-*/', 'prebuilds/', 'node_modules/', 'mfl-*/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    languageOptions: {
      globals: { process: 'readonly', console: 'readonly', URL: 'readonly' },
    },
  },
);
