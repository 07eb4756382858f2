import { defineConfig } from 'vitest/config';

// End-to-end tests: real Chromium (playwright-core) against a real `atrium web` process the tests start.
export default defineConfig({
  test: {
    environment: 'node',
    include: ['e2e/**/*.test.ts'],
    setupFiles: ['e2e/setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    fileParallelism: false,
    pool: 'forks',
  },
});
