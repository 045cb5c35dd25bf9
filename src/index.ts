/**
 * The Worker entry. Admin requests (ADMIN_PREFIX, ADMIN_HOST) go to the admin
 * app and never upstream; every other request goes to the listener this
 * Worker serves, compiled from the latest published config.
 * https://developers.cloudflare.com/workers/runtime-apis/handlers/fetch/
 */
import { adminApp, isAdminRequest } from './admin/app.js'
import type { StateEnv } from './state/env.js'
import { servingForRequest } from './state/refresh.js'
import { ensureXdsPoller } from './state/xds-poller.js'

export { ConfigAuthority } from './admin/authority.js'
export { HealthAuthority } from './state/health-authority.js'
export { XdsPoller } from './state/xds-poller.js'

export default {
  async fetch(request, env, ctx) {
    // A base config with REST dynamic_resources: make sure the poller Durable Object runs (once per isolate).
    ensureXdsPoller(env, ctx)
    if (isAdminRequest(request, env)) {
      // Fail closed: with no token configured the admin API does not exist (404, as if absent).
      if (!env.ADMIN_TOKEN) return new Response(null, { status: 404 })
      return adminApp(env).fetch(request, env, ctx)
    }
    const serving = await servingForRequest(env, ctx)
    return serving.fetch(request, env, ctx)
  },
} satisfies ExportedHandler<StateEnv>
