// ESLint: typescript-eslint's type-checked recommended rules plus the project's own (no
// floating or misused promises, type-only imports marked as such, no import cycles).
// Formatting is Prettier's alone: eslint-config-prettier turns off every rule that would clash.
import js from '@eslint/js';
import prettier from 'eslint-config-prettier';
import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript';
import importX from 'eslint-plugin-import-x';
import globals from 'globals';
import tseslint from 'typescript-eslint';

/** Specs, test support and benchmarks. */
const testFiles = [
  '**/*.spec.ts',
  '**/*.int-spec.ts',
  '**/*.e2e-spec.ts',
  'test/**',
  'libs/testing/**',
  '**/__fixtures__/**',
  '**/*.fakes.ts',
  '**/testing/**',
  'bench/**',
];

export default tseslint.config(
  // lint-probe-*: files deploy/scripts/lint-rules.spec.ts writes (and lints with --no-ignore)
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', '.tools/**', 'deploy/scripts/lint-probe-*/**'] },
  js.configs.recommended,
  {
    files: ['**/*.ts'],
    extends: [tseslint.configs.recommendedTypeChecked],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    plugins: { 'import-x': importX },
    settings: {
      ...importX.flatConfigs.typescript.settings,
      'import-x/resolver-next': [createTypeScriptImportResolver({ project: './tsconfig.json' })],
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' },
      ],
      'import-x/no-cycle': 'error',
    },
  },
  {
    // Tests read untyped JSON answers and hand fakes around by method: the `any` family and
    // unbound-method would only add casts there. Promise rules, type imports and cycles still apply.
    files: testFiles,
    rules: {
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/unbound-method': 'off',
      '@typescript-eslint/require-await': 'off',
    },
  },
  { files: ['**/*.js', '**/*.cjs'], languageOptions: { globals: { ...globals.node }, sourceType: 'commonjs' } },
  { files: ['**/*.mjs'], languageOptions: { globals: { ...globals.node }, sourceType: 'module' } },
  prettier,
);
