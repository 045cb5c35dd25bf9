// A Worker entry around edgevoy's (./worker.mjs) that counts what the isolate
// asks of KV and of the health Durable Objects, for test/node/sim-vs-runtime:
// `GET /__counts` answers them. The wrapped env is made once per env object,
// so the isolate's state keeps one identity as with the bare Worker.
import worker from './worker.mjs'
export * from './worker.mjs'

const counts = { kvReads: 0, doRequests: 0, byMethod: {} }
let original
let wrapped

function wrap(env) {
  if (env === original) return wrapped
  const names = new WeakMap()
  const health = env.HEALTH
  const count = (method) => {
    counts.doRequests++
    counts.byMethod[method] = (counts.byMethod[method] ?? 0) + 1
  }
  original = env
  wrapped = {
    ...env,
    CONFIG: { get: (...args) => (counts.kvReads++, env.CONFIG.get(...args)) },
    HEALTH: {
      idFromName: (name) => {
        const id = health.idFromName(name)
        names.set(id, name)
        return id
      },
      get: (id) => {
        const stub = health.get(id)
        const call = (method) => (...args) => (count(method), stub[method](...args))
        return { poll: call('poll'), register: call('register'), digest: call('digest'), reportImmediateFail: call('reportImmediateFail'), setOverride: call('setOverride'), publish: call('publish') }
      },
    },
  }
  return wrapped
}

export default {
  fetch(request, env, ctx) {
    if (new URL(request.url).pathname === '/__counts') return Response.json(counts)
    return worker.fetch(request, wrap(env), ctx)
  },
}
