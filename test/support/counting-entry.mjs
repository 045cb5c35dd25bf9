// A Worker entry around edgevoy's (./worker.mjs) that counts what the isolate
// asks of KV, of the health Durable Objects and of D1 (EDGEVOY_DB), for test/node/sim-vs-runtime:
// `GET /__counts` answers them, `POST /__counts` starts afresh. The wrapped env is made once per env object,
// so the isolate's state keeps one identity as with the bare Worker.
import worker from './worker.mjs'
export * from './worker.mjs'

const counts = { kvReads: 0, doRequests: 0, byMethod: {}, doMs: 0, d1Queries: 0, d1Ms: 0, d1Times: [], timers: 0, timerLateMs: 0, cacheOps: 0, cacheMs: 0, late: [], cacheTimes: [], cachePutTimes: [], cacheSpans: [], looks: [], arrived: [], fired: [], trace: [], from: 0, at: 0 }
// Diagnostics for SIM_DUMP (test/node/sim-vs-runtime): every timer fired, cache operation and look, in order
// (epoch ms): ['timer', due, ran, ms], ['match'|'put', start, end, key, fetched-at, lease-until], ['do:METHOD'|'d1', at].
const trace = (e) => counts.trace.length < 20000 && counts.trace.push(e)

// The location's cache (caches.default, one object per isolate): reads and writes counted too.
const cache = caches.default
for (const method of ['match', 'put']) {
  const real = cache[method].bind(cache)
  cache[method] = async (...args) => {
    counts.cacheOps++
    const t = Date.now()
    let res
    try {
      return (res = await real(...args))
    } finally {
      const end = Date.now()
      trace([method, t, end, String(args[0]?.url ?? args[0]).slice(-12), (method === 'put' ? args[1] : res)?.headers?.get('x-edgevoy-fetched-at') ?? null, (method === 'put' ? args[1] : res)?.headers?.get('x-edgevoy-lease-until') ?? null])
      counts.cacheMs += end - t
      // Matches and puts apart: a put writes a body (matches took 1–2 ms, puts 3–9 ms on a quiet machine).
      const times = method === 'put' ? counts.cachePutTimes : counts.cacheTimes
      if (times.length < 5000) times.push(end - t)
      // When it was slow (epoch ms): the location's cache is one Durable Object in Miniflare that serves every
      // isolate in turn, so while it is slow every isolate's operation waits (the model replays these).
      if (end > t && counts.cacheSpans.length < 5000) counts.cacheSpans.push([t, end])
    }
  }
}

// How late timers fire against the clock the code read when it set them (a loaded machine; in
// workerd Date.now() stands still between I/O): the model's sleeps take as long.
const setTimeoutReal = globalThis.setTimeout
globalThis.setTimeout = (fn, ms, ...args) => {
  const due = Date.now() + (ms ?? 0)
  return setTimeoutReal(() => {
    counts.timers++
    const late = Math.max(0, Date.now() - due)
    counts.timerLateMs += late
    if (counts.late.length < 5000) counts.late.push(late)
    // When it was due and when it ran (epoch ms): the isolates share workerd's one thread, so a stall
    // delays every isolate's timers due in it to about the same moment (the model replays these).
    if (late > 0 && counts.fired.length < 5000) counts.fired.push([due, Date.now()])
    trace(['timer', due, Date.now(), ms])
    fn(...args)
  }, ms)
}
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
  // D1: each query the isolate runs (a statement's first/all/run), and how long it took.
  const db = env.EDGEVOY_DB
  const countedStatement = (st) => {
    const timed = (method) => async (...args) => {
      counts.d1Queries++
      const t = Date.now()
      if (counts.looks.length < 5000) counts.looks.push(t)
      trace(['d1', t])
      try {
        return await st[method](...args)
      } finally {
        counts.d1Ms += Date.now() - t
        if (counts.d1Times.length < 5000) counts.d1Times.push(Date.now() - t)
      }
    }
    return { bind: (...values) => countedStatement(st.bind(...values)), first: timed('first'), all: timed('all'), run: timed('run') }
  }
  original = env
  wrapped = {
    ...env,
    ...(db ? { EDGEVOY_DB: { prepare: (sql) => countedStatement(db.prepare(sql)), batch: (s) => db.batch(s) } } : {}),
    CONFIG: { get: (...args) => (counts.kvReads++, env.CONFIG.get(...args)) },
    HEALTH: {
      idFromName: (name) => {
        const id = health.idFromName(name)
        names.set(id, name)
        return id
      },
      get: (id) => {
        const stub = health.get(id)
        // Time to answer, for the model's round trip (Date.now advances across I/O in workerd).
        const call = (method) => async (...args) => {
          count(method)
          const t = Date.now()
          if (method === 'digest' && counts.looks.length < 5000) counts.looks.push(t)
          trace(['do:' + method, t])
          try {
            return await stub[method](...args)
          } finally {
            counts.doMs += Date.now() - t
          }
        }
        // The hub's RPC surface (src/state/health-authority.ts); per-cluster polls are `pollCluster`.
        return { pollCluster: call('pollCluster'), register: call('register'), digest: call('digest'), reportImmediateFailFor: call('reportImmediateFailFor'), setOverrideFor: call('setOverrideFor'), setConfigVersion: call('setConfigVersion') }
      },
    },
  }
  return wrapped
}

export default {
  fetch(request, env, ctx) {
    const url = new URL(request.url)
    // `POST /__counts`: start counting afresh (after the warm-up); the timer lateness samples and request times stay.
    // `from` and `at`: when this isolate started counting and answered the counts (its clock, epoch ms).
    if (url.pathname === '/__counts' && request.method === 'POST') {
      Object.assign(counts, { kvReads: 0, doRequests: 0, byMethod: {}, doMs: 0, d1Queries: 0, d1Ms: 0, d1Times: [], cacheOps: 0, cacheMs: 0, looks: [], from: Date.now() })
      return Response.json(counts)
    }
    if (url.pathname === '/__counts') return Response.json({ ...counts, at: Date.now() })
    // When the isolate really got the request (a loaded machine delays it past the client's send, most at a cold start).
    if (counts.arrived.length < 5000) counts.arrived.push(Date.now())
    return worker.fetch(request, wrap(env), ctx)
  },
}
