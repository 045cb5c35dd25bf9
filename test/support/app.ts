/** Run compiled snapshots through the real router app, inside workerd, against real upstreams. */
import type { Snapshot } from '../../src/compile/types'
import { buildListenerApp } from '../../src/router/app'
import { ClusterManager } from '../../src/upstream/cluster-manager'

export interface TestAppOptions {
  random?: () => number
  now?: () => number
  listener?: string
  bindings?: Record<string, Fetcher>
}

export function testApp(snapshot: Snapshot, options: TestAppOptions = {}) {
  const random = options.random ?? Math.random
  const now = options.now ?? Date.now
  const listener = options.listener ? snapshot.listeners.find((l) => l.name === options.listener)! : snapshot.listeners[0]!
  const app = buildListenerApp(snapshot, listener, {
    fetch: (input, init) => fetch(input, init),
    bindings: options.bindings ?? {},
    clusters: new ClusterManager({ random, now }),
    random,
    now,
  })
  /** `request('http://host/path', init)`: the URL's host is the :authority. */
  const request = (url: string, init?: RequestInit) => app.fetch(new Request(url, init))
  return { app, request }
}

/** The echo upstream's JSON answer. */
export interface Echo {
  id: string
  method: string
  url: string
  headers: Record<string, string>
  bodyBytes: number
  bodySha256: string
}
