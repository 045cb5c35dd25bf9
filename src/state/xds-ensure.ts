/**
 * Data plane: make sure the xDS poller Durable Object runs when the base
 * config has REST `dynamic_resources`. Only looks at the base's v3 JSON; the
 * xDS client itself (state/xds-poller.ts, src/xds/) loads in the Durable
 * Object, never in an isolate that only proxies.
 */
import type { XdsPoller } from './durable-objects.js'
import type { StateEnv } from './env.js'

/** The bindings the poller adds to StateEnv (wrangler.toml: XDS_POLLER → XdsPoller; secret XDS_TOKEN). */
export type XdsPollerEnv = StateEnv & {
  XDS_POLLER?: DurableObjectNamespace<XdsPoller>
  /** Sent as `Authorization: Bearer …` to the control plane (e.g. another edgevoy's admin xDS). */
  XDS_TOKEN?: string
}

const ensured = new WeakSet<object>()

/**
 * Called by the Worker entry once per isolate and env: when the base config
 * (built, or EDGEVOY_CONFIG) has dynamic_resources, make sure the poller runs
 * with it as the seed. The seed is always the base config, never a published
 * one (a published config already holds the fetched resources).
 */
export function ensureXdsPoller(env: XdsPollerEnv, ctx: ExecutionContext, base: { readonly xdsPolled: boolean; readonly config: () => unknown }): void {
  const ns = env.XDS_POLLER
  if (!ns || !base.xdsPolled || ensured.has(env)) return
  ensured.add(env)
  const seed = base.config() as Record<string, unknown>
  ctx.waitUntil(ns.get(ns.idFromName('global')).ensure(seed).catch((e: unknown) => console.error('edgevoy: starting the xDS poller failed', e)))
}
