/**
 * Loaded before src/main.ts in a replica process of the tests
 * (`replica-process.ts`): the test holds the replica's stdin open; when the
 * test process dies, even by SIGKILL, the pipe closes and the replica ends
 * itself, so no replica outlives its test.
 */
process.stdin.on('end', () => process.exit(1));
process.stdin.on('error', () => process.exit(1));
process.stdin.resume();
