// @ts-check
import { defineConfig } from 'eslint/config';
import tseslint from 'typescript-eslint';

const restrict = (patterns) => ({ 'no-restricted-imports': ['error', { patterns }] });

export default defineConfig(
  { ignores: ['dist/**', 'coverage/**', 'node_modules/**', '.doc-test/**'] },
  ...tseslint.configs.strictTypeChecked,
  ...tseslint.configs.stylisticTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/consistent-type-exports': 'error',
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true }],
      eqeqeq: 'error',
      'no-console': 'error',
    },
  },
  {
    files: ['src/protocol/**/*.ts'],
    rules: restrict([
      {
        group: [
          'node:net',
          'node:fs',
          'node:timers',
          'node:events',
          'ajv*',
          'yaml',
          'chokidar',
          'commander',
        ],
        message: 'protocol/ is a pure codec: no I/O, timers or events',
      },
      {
        group: ['../server/*', '../scenario/*', '../transcript/*', '../cli/*', '../testing/*'],
        message: 'protocol/ is a leaf',
      },
    ]),
  },
  {
    files: ['src/server/**/*.ts'],
    rules: restrict([
      {
        group: [
          '../scenario/*',
          '../transcript/*',
          '../cli/*',
          'yaml',
          'ajv*',
          'chokidar',
          'commander',
        ],
        message: 'server/ knows nothing of scenarios, transcripts or the CLI',
      },
    ]),
  },
  {
    files: ['src/scenario/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['../server/*', '!../server/ports.js', '!../server/events.js'],
              message: 'scenario/ sees only the server ports and events',
            },
            {
              group: ['../server/ports.js', '../server/events.js'],
              allowTypeImports: true,
              message: 'type-only',
            },
            {
              group: ['../transcript/*', '../cli/*', 'commander'],
              message: 'scenario/ is below the facade',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['src/transcript/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['../server/*'],
              allowTypeImports: true,
              message: 'transcript/ sees the server as types only',
            },
            {
              group: ['../scenario/*', '../cli/*', 'commander', 'chokidar'],
              message: 'transcript/ is below the facade',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['src/testing/**/*.ts'],
    rules: restrict([
      {
        group: ['../server/*', '../scenario/*', '../transcript/*', '../cli/*'],
        message: 'testing/ is a client: protocol and util only',
      },
    ]),
  },
  {
    files: ['src/util/**/*.ts'],
    rules: restrict([
      {
        group: [
          '../protocol/*',
          '../server/*',
          '../scenario/*',
          '../transcript/*',
          '../cli/*',
          '../testing/*',
        ],
        message: 'util/ is a leaf',
      },
    ]),
  },
  {
    files: ['src/cli/**/*.ts', 'scripts/**', 'bench/**'],
    rules: { 'no-console': 'off' },
  },
  {
    files: ['test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unused-expressions': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
  {
    files: ['**/*.{js,cjs,mjs}'],
    extends: [tseslint.configs.disableTypeChecked],
    rules: { '@typescript-eslint/no-require-imports': 'off', 'no-console': 'off' },
  },
);
