import { fileURLToPath } from 'node:url';

import { defineConfig } from 'vitest/config';

const stub = fileURLToPath(new URL('./test/unit/vscode_stub.ts', import.meta.url));

export default defineConfig({
  test: {
    fileParallelism: false,
    projects: [
      {
        resolve: { alias: { vscode: stub } },
        test: { name: 'unit', include: ['test/unit/**/*.test.ts'], environment: 'node' },
      },
      {
        test: { name: 'server', include: ['test/server/**/*.test.ts'], environment: 'node', testTimeout: 30_000 },
      },
      {
        test: { name: 'bench', include: ['test/bench/**/*.bench.ts'], environment: 'node', testTimeout: 120_000 },
      },
      {
        test: { name: 'e2e', include: ['test/e2e/**/*.test.ts'], environment: 'node', testTimeout: 120_000, hookTimeout: 180_000 },
      },
      {
        test: {
          name: 'page',
          include: ['test/page/**/*.test.ts'],
          environment: 'node',
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
    ],
  },
});
