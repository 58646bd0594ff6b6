import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // Sources only: compiled copies under dist/ would otherwise run twice.
    include: ['{engine,adapters,native,scenarios,test,bench}/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
  },
});
