// The least a Worker can do in front of an upstream: the baseline edgevoy is measured against.
export default {
  fetch(request, env) {
    const url = new URL(request.url)
    return fetch(new Request(env.UPSTREAM + url.pathname + url.search, request))
  },
}
