/**
 * The Worker entry: every request goes to the listener this Worker serves.
 * https://developers.cloudflare.com/workers/runtime-apis/handlers/fetch/
 */
import { servingFor } from './state/serving.js'

export default {
  fetch(request, env, ctx) {
    return servingFor(env).fetch(request, env, ctx)
  },
} satisfies ExportedHandler<EdgevoyEnv>
