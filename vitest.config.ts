import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 20_000,
    hookTimeout: 20_000,
    // Sockets on loopback: keep files in separate workers but not too many on 2 cores.
    maxWorkers: 2,
  },
});
