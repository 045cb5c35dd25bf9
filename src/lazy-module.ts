/**
 * A chunk the data plane imports on demand: a filter's, a load balancer's,
 * the regex engine's, the access-log and tracing code. The caller passes a
 * function holding a literal `import()` — the bundler splits the chunk there
 * (src/cli/worker-build.ts, test/node/bundle-graph.test.ts) — and this keeps
 * what it resolved to, once per isolate. Loading happens where a snapshot is
 * made ready to serve (state/serving.ts), never per request; using the value
 * before then is a bug in the caller, and says so.
 *
 * Loads that overlap share one import (two snapshots made ready at once must
 * not evaluate a chunk's factory twice). A failed import keeps nothing: `load`
 * rejects and the next call tries again.
 */
export interface LazyModule<T> {
  /** Imports it (once; resolves at once when loaded). */
  load(): Promise<T>
  /** What it loaded, or undefined before that. */
  get(): T | undefined
  /** What it loaded; before that, throws `notLoaded`. */
  expect(notLoaded: string): T
  /** Sets it without the import: for a module whose evaluation installs itself (the regex engine, imported statically by the control plane). */
  install(value: T): void
}

export function lazyModule<T>(load: () => Promise<T>): LazyModule<T> {
  let value: T | undefined
  let pending: Promise<T> | undefined
  return {
    load() {
      if (value !== undefined) return Promise.resolve(value)
      pending ??= load().then(
        (v) => ((pending = undefined), (value ??= v)),
        (error: unknown) => {
          pending = undefined
          throw error
        },
      )
      return pending
    },
    get: () => value,
    expect(notLoaded) {
      if (value === undefined) throw new Error(notLoaded)
      return value
    },
    install(v) {
      value = v
    },
  }
}
