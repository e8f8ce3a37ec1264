// ESLint flat config: typescript-eslint's type-aware rules. A reactor cannot afford a dropped promise,
// so no-floating-promises and no-misused-promises are errors.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', 'docs/api/**', '**/*.cjs', '**/*.mjs', '*.config.js'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/only-throw-error': 'off',
      '@typescript-eslint/prefer-promise-reject-errors': 'off',
      '@typescript-eslint/no-this-alias': 'off',
      '@typescript-eslint/require-await': 'off',
      'require-yield': 'off',
    },
  },
  // The thread boundary (issue 15): the main-thread side (src/threads/) and the worker side (src/worker/, workers/)
  // share only the protocol — src/threads/wire.ts and the error encoding it names — and never import each other.
  {
    files: ['src/threads/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/worker/*', '**/workers/*'],
              message: 'src/threads/ is the main-thread side: share with the worker side only through src/threads/wire.ts.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['src/worker/**/*.ts', 'workers/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/threads/*', '!**/threads/wire.js', '!**/threads/error-transport.js'],
              message: 'The worker side may import from src/threads/ only the protocol: wire.ts and error-transport.ts.',
            },
          ],
        },
      ],
    },
  },
);
