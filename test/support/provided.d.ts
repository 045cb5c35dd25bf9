/** Values global-setup.ts provides to every test (`inject('upstreams')` from 'vitest'). */
declare module 'vitest' {
  export interface ProvidedContext {
    /** Shared read-only upstreams by id (`a`, `b`, `c`, `slow`) → port on 127.0.0.1. */
    upstreams: Record<string, number>
    /** Port of the upstream control API on 127.0.0.1. */
    upstreamControl: number
    /** A port on 127.0.0.1 where nothing listens. */
    unusedPort: number
  }
}
export {}
