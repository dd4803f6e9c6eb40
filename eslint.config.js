// Import boundaries (issue #17): each rule keeps one arrow of docs/ARCHITECTURE.md pointing one way.
//   renderer/  the UI: browser only, talks to main through preload/'s typed contract
//   preload/   the contract and its codecs: no main-process code
//   main/<domain>/  upload, watch, jobs, instances, cost, ...: no application layer, no adapter
//   main/app/  the application layer (use cases, contract types): no adapter, no transport
//   main/cli, main/host, main/electron  the adapters; only main/electron imports electron
// `npm run lint` runs it; .ci/run fails on any finding.
import tseslint from 'typescript-eslint';
import reactHooks from 'eslint-plugin-react-hooks';

const NODE_BUILTINS = [
  'node:*',
  'fs',
  'fs/*',
  'path',
  'os',
  'child_process',
  'crypto',
  'http',
  'https',
  'net',
  'url',
  'util',
  'stream',
  'stream/*',
  'events',
  'worker_threads',
  'zlib',
];
const ADAPTERS = ['**/cli/**', '**/host/**', '**/electron/**', '**/services.ts'];

const DOMAIN = [
  {
    group: ['**/app/**', ...ADAPTERS],
    message: 'Domain modules sit below the application layer (main/app) and its adapters: move the shared type down instead.',
  },
  { group: ['electron'], message: 'Only main/electron/ imports electron; logic stays runnable in plain Node.' },
];
const COMPUTE_ORDER = ['common', 'aws', 'cost', 'budget', 'instances', 'tray'];

const restrict = (groups) => ({ 'no-restricted-imports': ['error', { patterns: groups }] });

export default tseslint.config(
  { ignores: ['build/**', 'node_modules/**', 'native-worker/**', 'dist/**', 'bench/results/**'] },
  {
    files: ['**/*.ts', '**/*.tsx'],
    languageOptions: { parser: tseslint.parser, ecmaVersion: 2023, sourceType: 'module' },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
  },
  {
    files: ['renderer/**/*.ts', 'renderer/**/*.tsx'],
    plugins: { 'react-hooks': reactHooks },
    rules: {
      'react-hooks/rules-of-hooks': 'error',
      'react-hooks/exhaustive-deps': 'error',
    },
  },
  {
    files: ['renderer/**/*.ts', 'renderer/**/*.tsx'],
    rules: restrict([
      { group: ['electron'], message: 'The renderer is sandboxed: it reaches the main process only through preload/api.ts.' },
      { group: NODE_BUILTINS, message: 'The renderer runs in a browser (Chromium or a sandboxed Electron window): no Node modules.' },
      { group: ['**/main/**'], message: 'The renderer talks to the main process through the contract in preload/, never by importing main/.' },
    ]),
  },
  {
    files: ['preload/**/*.ts'],
    rules: restrict([
      { group: ['**/main/**'], message: 'preload/ holds the contract shared with the renderer: no main-process code.' },
      { group: ['electron'], message: 'Only main/electron/ imports electron (its preload entry script binds this contract).' },
    ]),
  },
  {
    files: ['main/**/*.ts'],
    ignores: ['main/app/**', 'main/cli/**', 'main/host/**', 'main/electron/**', 'main/services.ts'],
    rules: restrict(DOMAIN),
  },
  // The compute side runs one way: common < aws < cost < budget < instances < tray. Shared types
  // (the instance view, AWS errors) live at the bottom so nothing needs to look up.
  ...COMPUTE_ORDER.map((folder, i) => ({
    files: [`main/${folder}/**/*.ts`],
    rules: restrict([
      ...DOMAIN,
      ...(COMPUTE_ORDER.slice(i + 1).length
        ? [
            {
              group: COMPUTE_ORDER.slice(i + 1).map((above) => `**/${above}/**`),
              message: `main/${folder} sits below ${COMPUTE_ORDER.slice(i + 1).join(', ')} (${COMPUTE_ORDER.join(' < ')}): move the shared part down.`,
            },
          ]
        : []),
    ]),
  })),
  {
    files: ['main/app/**/*.ts'],
    rules: restrict([
      { group: ADAPTERS, message: 'The application layer is transport-free: the CLI, the host and Electron adapt it, not the reverse.' },
      { group: ['electron'], message: 'Only main/electron/ imports electron; logic stays runnable in plain Node.' },
    ]),
  },
  {
    files: ['main/cli/**/*.ts'],
    rules: restrict([
      { group: ['electron'], message: 'Only main/electron/ imports electron; the CLI and the host run in plain Node.' },
      { group: ['**/electron/**'], message: 'Adapters do not import each other (the CLI may start the host: scopecloud serve).' },
    ]),
  },
  {
    files: ['main/host/**/*.ts'],
    rules: restrict([
      { group: ['electron'], message: 'Only main/electron/ imports electron; the CLI and the host run in plain Node.' },
      {
        group: ['**/electron/**', '**/cli/**'],
        message: 'Adapters do not import each other: share through main/app (the contract handlers) or main/ui (serving the renderer).',
      },
    ]),
  },
  {
    files: ['main/electron/**/*.ts'],
    rules: restrict([
      {
        group: ['**/host/**', '**/cli/**'],
        message: 'Adapters do not import each other: share through main/app (the contract handlers) or main/ui (serving the renderer).',
      },
    ]),
  },
);
