import { defineConfig } from 'vitest/config';

// Browser benchmarks: real Chromium (playwright-core) against a real `atrium web` process, like the e2e tests, but
// reporting figures (bench/RESULTS.md) rather than passing or failing on them.
export default defineConfig({
  test: {
    environment: 'node',
    include: ['e2e/**/*.bench.ts'],
    setupFiles: ['e2e/setup.ts'],
    testTimeout: 600_000,
    hookTimeout: 120_000,
    fileParallelism: false,
    pool: 'forks',
  },
});
