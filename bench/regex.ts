/**
 * The regex engine: its size in the bundle, and what a pathological pattern
 * costs a routing decision — the linear-time engine on a 10,000-character
 * path against V8's backtracking RegExp (the translation edgevoy used before)
 * on paths short enough to finish.
 */
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
import type { MatchRequest } from '../src/compile/types.js'
import { compileConfig } from '../src/compile/index.js'
import { compileRe2FullMatch } from '../src/config/re2.js'
import { validateConfig } from '../src/config/load.js'
import { buildRouteIndex, loadRouteIndex } from '../src/router/route-index.js'
import { bundle, ROOT } from './bundle.js'
import { median } from './stats.js'

// The index of a virtual host with more than 8 routes is imported on demand (router/route-index.ts), as a serving isolate does.
await loadRouteIndex()

export const PATHOLOGICAL = ['^/(a+)+$', '^/([a-z0-9]+-?)+$', '^/(a|a)*b$'] as const

export interface RegexResult {
  /** Minified esbuild output, gzip: runtime only, and runtime + compiler from the parse tree. */
  runtimeGzipBytes: number
  engineGzipBytes: number
  rows: {
    pattern: string
    /** Routing decision for `/a…a!` (10,000 a's): first (cold) and median of the next 9, ms. */
    engineFirstMs: number
    engineMs: number
    /** V8 RegExp on the old translation, `/` + n a's + `!`: ms per n. */
    backtracking: Record<number, number>
  }[]
}

function decision(pattern: string): (path: string) => unknown {
  const doc = {
    static_resources: {
      listeners: [{
        name: 'l', address: { socket_address: { address: '0.0.0.0', port_value: 1 } },
        filter_chains: [{ filters: [{ name: 'envoy.filters.network.http_connection_manager', typed_config: {
          '@type': 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager',
          stat_prefix: 's', http_filters: [{ name: 'envoy.filters.http.router', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router' } }],
          route_config: { virtual_hosts: [{ name: 'v', domains: ['*'], routes: [
            { match: { safe_regex: { regex: pattern } }, direct_response: { status: 200 } },
            { match: { prefix: '/' }, direct_response: { status: 404 } },
          ] }] },
        } }] }],
      }],
    },
  }
  const loaded = validateConfig(doc)
  if (!loaded.ok) throw new Error(loaded.errors[0]!.message)
  const vh = compileConfig(loaded.config).listeners[0]!.routeTable.virtualHosts[0]!
  const index = buildRouteIndex(vh)
  return (path) => {
    const m: MatchRequest = { headers: new Headers(), method: 'GET', authority: 'x', path, scheme: 'http' }
    return index.select(m, path, undefined)
  }
}

function timeMs(f: () => unknown): number {
  const t = process.hrtime.bigint()
  f()
  return Number(process.hrtime.bigint() - t) / 1e6
}

export async function measureRegex(backtrackLengths: readonly number[] = [16, 20, 24]): Promise<RegexResult> {
  const gz = async (entry: string, name: string) => gzipSync((await bundle(join(ROOT, entry), name, { minify: true })).text).length
  const rows: RegexResult['rows'] = []
  const attack = `/${'a'.repeat(10_000)}!`
  for (const pattern of PATHOLOGICAL) {
    const decide = decision(pattern)
    const engineFirstMs = timeMs(() => decide(attack))
    const engineMs = median(Array.from({ length: 9 }, () => timeMs(() => decide(attack))))
    const old = compileRe2FullMatch(pattern)
    if (!old.ok) throw new Error(old.message)
    const backtracking: Record<number, number> = {}
    for (const n of backtrackLengths) backtracking[n] = timeMs(() => old.regex.test(`/${'a'.repeat(n)}!`))
    rows.push({ pattern, engineFirstMs, engineMs, backtracking })
  }
  return {
    runtimeGzipBytes: await gz('bench/workers/regex-runtime.ts', 'regex-runtime'),
    engineGzipBytes: await gz('bench/workers/regex-engine.ts', 'regex-engine'),
    rows,
  }
}
