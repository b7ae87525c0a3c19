import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Test files share one Redis server and two cores; each uses its own queue prefix.
    fileParallelism: true,
    maxWorkers: 2,
  },
});
