import { createRequire } from 'node:module';
import { defineConfig } from 'vitest/config';

const require = createRequire(import.meta.url);

export default defineConfig({
  resolve: {
    // Node loads `graphql` through its CommonJS entry for every package (yoga, graphql-ws,
    // Pothos); vite would hand our own files the .mjs build, a second copy of the module
    // ("Cannot use GraphQLSchema from another module or realm"). One copy for all.
    alias: [{ find: /^graphql$/, replacement: require.resolve('graphql') }],
  },
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 20_000,
    hookTimeout: 20_000,
    // Sockets on loopback: keep files in separate workers but not too many on 2 cores.
    maxWorkers: 2,
  },
});
