// ESLint flat config: typescript-eslint's type-aware rules. A reactor cannot afford a dropped promise,
// so no-floating-promises and no-misused-promises are errors.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

// Folders of src/ from the bottom up (issue 15): a folder imports only from earlier layers, never from its own layer
// or a later one, so no folder imports one that imports it back. docs/design.md's "Where things live" says the same
// in prose; change both together.
const layers = [
  ['errors.ts', 'safe-string.ts', 'is-thenable.ts', 'unknown-option.ts', 'max-timer-delay.ts', 'error-code.ts', 'function-name.ts'],
  ['describe-value.ts'],
  ['option-ranges.ts'],
  ['time', 'task', 'dispatch-site.ts', 'error-sink.ts', 'iterator-result.ts'],
  ['deferred', 'context'],
  ['green', 'policy', 'threads'],
  ['stream'],
  ['worker'],
  ['reactor'],
  ['remote-bullmq', 'soak'],
  ['cli'],
];

// The thread boundary: the main-thread side (src/threads/) and the worker side (src/worker/, workers/) share only
// the protocol — src/threads/wire.ts, the error encoding it names, and the clone mark both sides put on a message
// whose clone may be refused (a task's, a call back's).
const workerSideImportsFromThreads = {
  group: ['**/threads/*', '!**/threads/wire.js', '!**/threads/error-transport.js', '!**/threads/clone-mark.js'],
  message: 'The worker side may import from src/threads/ only the protocol: wire.ts, error-transport.ts and clone-mark.ts.',
};

/** The import pattern of a part of src/: a folder's files, or a top-level file as its built name. */
const importPatternOf = (part) => (part.endsWith('.ts') ? `**/${part.slice(0, -3)}.js` : `**/${part}/*`);

/** One `no-restricted-imports` block per part of src/ (and one for the worker entry), from `layers`. */
function layerRules() {
  const blocks = layers.flatMap((layer, index) => {
    const later = layers.slice(index).flat();
    return layer.flatMap((part) => {
      const above = later.filter((other) => other !== part).map(importPatternOf);
      const patterns = [];
      if (above.length > 0) {
        patterns.push({
          group: above,
          message: `src/${part} is below these in the layers of eslint.config.js: it may not import them (a folder never imports one that imports it back).`,
        });
      }
      if (part === 'threads') patterns.push({ group: ['**/workers/*'], message: 'src/threads/ is the main-thread side: share with the worker side only through src/threads/wire.ts.' });
      if (part === 'worker') patterns.push(workerSideImportsFromThreads);
      if (patterns.length === 0) return [];
      return {
        files: [part.endsWith('.ts') ? `src/${part}` : `src/${part}/**/*.ts`],
        rules: { 'no-restricted-imports': ['error', { patterns }] },
      };
    });
  });
  blocks.push({ files: ['workers/**/*.ts'], rules: { 'no-restricted-imports': ['error', { patterns: [workerSideImportsFromThreads] }] } });
  return blocks;
}

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
  ...layerRules(),
);
