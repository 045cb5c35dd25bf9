/**
 * The Worker imports its control plane (yaml, zod, schemas, compiler, admin
 * API) lazily, on the first admin request or base compile. Under the test
 * runner that first import is also when vite transforms those modules —
 * seconds on a loaded machine. Import it here, before the file's tests, so
 * that cost never counts against a test's timeout (as it did not when the
 * entry imported everything statically). The project shares one module cache
 * across files (vitest.config.ts, isolate: false): only the first file pays.
 */
await import('../../../src/state/control-plane')

export {}
