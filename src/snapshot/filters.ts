/**
 * HTTP filters, per-route filter overrides and rate limits
 * (as data) → what the router and the filters run with, once per snapshot,
 * never per request.
 *
 * The linkers of filter configs (fault, rbac, jwt_authn, health_check, csrf,
 * cache, header_mutation, oauth2) and of per-route overrides are in
 * filter-configs.ts, a chunk of its own like the filters themselves: a data
 * plane imports it (`loadFilterLinkers`, through snapshot/load.ts `readySnapshot`) before it links a
 * snapshot whose text names one, and the compiler, which links in memory,
 * installs it (`installFilterLinkers`). A listener with only the router
 * filter never loads it.
 */
import type { FilterOverrideIR, HttpFilterIR, RateLimitIR } from '../compile/ir.js'
import type { FilterOverride, HttpFilter, RateLimit } from '../compile/types.js'
import { lazyModule } from '../lazy-module.js'
import { matchLinkers } from './matchers.js'

type FilterConfigs = typeof import('./filter-configs.js')

const FILTER_CONFIGS = lazyModule<FilterConfigs>(() => import('./filter-configs.js'))

/** Filter kinds whose config is linked (filter-configs.ts); the others carry theirs as is. */
const LINKED_KINDS: ReadonlySet<HttpFilterIR['kind']> = new Set(['fault', 'rbac', 'jwt_authn', 'health_check', 'csrf', 'cache', 'header_mutation', 'oauth2'])

/**
 * Whether serialized snapshot text needs filter-configs.ts: a filter of a
 * linked kind, or any per-route filter override. Keys and values of the IR
 * appear as `"kind":"rbac"` and `"filterOverrides":` only as JSON structure
 * (inside a JSON string the quotes would be escaped); a false positive only
 * imports the chunk.
 */
export const needsFilterLinkers = (text: string): boolean => text.includes('"filterOverrides":') || [...LINKED_KINDS].some((k) => text.includes(`"kind":"${k}"`))

/** Import filter-configs.ts (once per isolate; a failed import is tried again by the next call). */
export const loadFilterLinkers = async (): Promise<void> => void (await FILTER_CONFIGS.load())

/** For the compiler, which imports filter-configs.ts statically and links in memory. */
export const installFilterLinkers = (m: FilterConfigs): void => FILTER_CONFIGS.install(m)

const linkers = (): FilterConfigs => FILTER_CONFIGS.expect('edgevoy: the filter config linkers are not loaded: await loadFilterLinkers() before linking a snapshot whose filters have configs')

const NONE: readonly never[] = Object.freeze([])

export function linkRateLimits(list: readonly RateLimitIR[] | undefined): readonly RateLimit[] {
  if (!list?.length) return NONE
  return list.map((rl) => ({
    stage: rl.stage,
    actions: rl.actions.map((a) =>
      a.kind === 'header_value_match'
        ? { ...a, headers: a.headers.map(matchLinkers().linkHeaderMatcher) }
        : a.kind === 'request_headers'
          ? { ...a, skipIfAbsent: a.skipIfAbsent === true }
          : a,
    ),
  }))
}

/** What every linked filter carries besides its kind and config. */
export const filterBase = (f: HttpFilterIR) => ({ name: f.name, typeUrl: f.typeUrl, isOptional: f.isOptional === true, disabled: f.disabled === true })

export function linkHttpFilter(f: HttpFilterIR): HttpFilter {
  if (LINKED_KINDS.has(f.kind)) return linkers().linkFilterWithConfig(f)
  const base = filterBase(f)
  switch (f.kind) {
    case 'router':
    case 'unknown':
    case 'cors':
      return { ...base, kind: f.kind, config: undefined }
    default:
      // local_ratelimit, cloudflare_ratelimit, compressor, decompressor, header_to_metadata: compiled as they are.
      return { ...base, kind: f.kind, config: f.config } as HttpFilter
  }
}

export const NO_OVERRIDES: Readonly<Record<string, FilterOverride>> = Object.freeze({})

export function linkFilterOverrides(o: Readonly<Record<string, FilterOverrideIR>> | undefined): Readonly<Record<string, FilterOverride>> {
  if (!o) return NO_OVERRIDES
  const out: Record<string, FilterOverride> = {}
  for (const [name, entry] of Object.entries(o)) out[name] = linkers().linkFilterOverride(entry)
  return out
}
