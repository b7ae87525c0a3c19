import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const LAYERS = ['domain', 'ports', 'use-cases', 'adapters', 'wiring'];
const layersAbove = (layer) =>
  LAYERS.slice(LAYERS.indexOf(layer) + 1).map((name) => `**/${name}/**`);
/** What does I/O: not below the adapters. */
const IO = {
  group: [
    'ioredis',
    'bullmq',
    'nodemailer',
    'nodemailer/**',
    'fastify',
    '@fastify/*',
    'nunjucks',
    'fhir-kit-client',
    'node:fs',
    'node:fs/*',
    'node:http',
    'node:https',
    'node:net',
    'node:child_process',
  ],
  message: 'I/O belongs in an adapter, behind a port',
};

export default tseslint.config(
  { ignores: ['node_modules/', 'var/', 'test/artifacts/', 'coverage/', 'dist/'] },
  js.configs.recommended,
  ...tseslint.configs.strictTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
      'no-empty': ['error', { allowEmptyCatch: false }],
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      // Numbers in log and error messages are the norm here; String() around each adds nothing.
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true }],
    },
  },
  // The layers (README, "How the code is laid out"): each imports only from the layers below it.
  // The domain is pure; use cases see ports, never Redis, BullMQ, SMTP or HTTP; adapters may name
  // wiring's types, and only the command line, where each process starts, imports wiring itself.
  {
    files: ['src/domain/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: layersAbove('domain'), message: 'the domain imports nothing above it' },
            IO,
          ],
        },
      ],
    },
  },
  {
    files: ['src/ports/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [{ group: layersAbove('ports'), message: 'ports name domain types only' }, IO],
        },
      ],
    },
  },
  {
    files: ['src/use-cases/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: layersAbove('use-cases'), message: 'use cases reach adapters through ports' },
            IO,
          ],
        },
      ],
    },
  },
  {
    files: ['src/adapters/**/*.ts'],
    ignores: ['src/adapters/cli/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/wiring/**'],
              allowTypeImports: true,
              message: 'adapters are handed what they need; wiring builds them',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['test/**/*.ts'],
    rules: {
      // Tests assert shapes they just built; with noUncheckedIndexedAccess the `!` is the idiom.
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    ...tseslint.configs.disableTypeChecked,
  },
  {
    files: ['bin/**/*.js', 'scripts/**/*.mjs'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly' } },
  },
);
