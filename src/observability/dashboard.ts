/**
 * `GET /__admin/`: one static page, no build step, behind the admin token like
 * every admin path (a browser opens it with Basic auth, the token as password). Its script polls
 * `clusters?format=json` and `stats?format=json` every 2 s and shows each
 * cluster's endpoints with health, request rate and error rate. The admin
 * token (when the admin API wants one) comes from `#token=…` in the URL or the
 * form on the page, and is kept in sessionStorage only.
 */
export const DASHBOARD_HTML = /* html */ `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>edgevoy</title>
<link rel="icon" href="data:,">
<style>
  :root { font: 14px/1.4 system-ui, sans-serif; color: #1d2330; background: #f6f7f9; }
  body { margin: 0; padding: 24px 32px; }
  h1 { font-size: 20px; margin: 0 0 4px; }
  #status { color: #5b6475; margin-bottom: 16px; }
  #status.error { color: #b42318; }
  table { border-collapse: collapse; width: 100%; background: #fff; box-shadow: 0 1px 2px #0002; }
  th, td { text-align: left; padding: 8px 12px; border-bottom: 1px solid #e6e8ec; vertical-align: top; }
  th { background: #eef0f4; font-weight: 600; }
  .num { font-variant-numeric: tabular-nums; text-align: right; }
  .host { display: inline-block; margin: 0 6px 4px 0; padding: 1px 8px; border-radius: 10px; font-size: 12px; background: #e7f6ec; color: #146c2e; }
  .host.unhealthy { background: #fde8e7; color: #b42318; }
  .host.degraded { background: #fff4e0; color: #8a5300; }
  .bad { color: #b42318; font-weight: 600; }
  form { margin: 8px 0 16px; display: none; }
  form.show { display: block; }
</style>
</head>
<body>
<h1>edgevoy</h1>
<div id="status">loading…</div>
<form id="auth"><label>Admin token <input id="token" type="password" autocomplete="off"></label> <button>Use</button></form>
<table id="clusters">
  <thead><tr><th>Cluster</th><th>Endpoints</th><th class="num">Requests</th><th class="num">Req/s</th><th class="num">5xx</th><th class="num">Error rate</th></tr></thead>
  <tbody></tbody>
</table>
<script>
(() => {
  const base = location.pathname.endsWith('/') ? location.pathname : location.pathname + '/'
  const fromHash = /(?:^#|&)token=([^&]+)/.exec(location.hash)
  if (fromHash) { sessionStorage.setItem('edgevoy-token', decodeURIComponent(fromHash[1])); history.replaceState(null, '', base) }
  const form = document.getElementById('auth')
  form.addEventListener('submit', (e) => { e.preventDefault(); sessionStorage.setItem('edgevoy-token', document.getElementById('token').value); tick() })
  let previous = null

  async function get(path) {
    const token = sessionStorage.getItem('edgevoy-token')
    const res = await fetch(base + path, { headers: token ? { authorization: 'Bearer ' + token } : {} })
    if (res.status === 401 || res.status === 403) { form.classList.add('show'); throw new Error('the admin API wants a token') }
    if (!res.ok) throw new Error(path + ': HTTP ' + res.status)
    return res
  }

  /** Envoy's /clusters?format=json, its text form, or a plain {clusters:[…]} list → [{name, hosts:[{address, health}]}]. */
  function parseClusters(text) {
    let data = null
    try { data = JSON.parse(text) } catch {}
    if (data && Array.isArray(data.cluster_statuses)) {
      return data.cluster_statuses.map((c) => ({ name: c.name, hosts: (c.host_statuses || []).map((h) => {
        const sa = (h.address && h.address.socket_address) || {}
        const hs = h.health_status || {}
        const failed = Object.keys(hs).some((k) => k.startsWith('failed') && hs[k])
        const eds = hs.eds_health_status || 'HEALTHY'
        return { address: sa.address + ':' + sa.port_value, health: failed || eds === 'UNHEALTHY' ? 'unhealthy' : eds === 'DEGRADED' ? 'degraded' : 'healthy' }
      }) }))
    }
    if (data && Array.isArray(data.clusters)) return data.clusters.map((c) => ({ name: c.name, hosts: (c.hosts || []).map((h) => ({ address: h.address, health: String(h.health || 'healthy').toLowerCase() })) }))
    const byName = new Map()
    for (const line of text.split('\\n')) {
      const parts = line.split('::')
      if (parts.length < 4) continue
      const c = byName.get(parts[0]) || { name: parts[0], hosts: [] }
      byName.set(parts[0], c)
      if (parts[2] === 'health_flags') c.hosts.push({ address: parts[1], health: parts[3] === 'healthy' ? 'healthy' : 'unhealthy' })
    }
    return [...byName.values()]
  }

  const esc = (v) => String(v).replace(/[&<>"']/g, (ch) => '&#' + ch.charCodeAt(0) + ';')

  function render(clusters, stats, now) {
    const value = (n) => stats.get(n) || 0
    for (const s of stats.keys()) {
      const m = /^cluster\\.(.+)\\.upstream_rq_total$/.exec(s)
      if (m && !clusters.some((c) => c.name === m[1])) clusters.push({ name: m[1], hosts: [] })
    }
    const rows = clusters.map((c) => {
      const p = 'cluster.' + c.name + '.'
      const total = value(p + 'upstream_rq_total') + value(p + 'upstream_cx_connect_fail')
      const errors = value(p + 'upstream_rq_5xx')
      const before = previous && previous.stats
      const dt = previous ? (now - previous.at) / 1000 : 0
      const beforeTotal = before ? (before.get(p + 'upstream_rq_total') || 0) + (before.get(p + 'upstream_cx_connect_fail') || 0) : total
      const rate = dt > 0 ? Math.max(0, total - beforeTotal) / dt : 0
      const errorRate = total > 0 ? (100 * errors) / total : 0
      const hosts = c.hosts.map((h) => '<span class="host ' + esc(h.health) + '" title="' + esc(h.health) + '">' + esc(h.address) + '</span>').join('') || '<span>—</span>'
      return '<tr data-cluster="' + esc(c.name) + '"><td class="name">' + esc(c.name) + '</td><td>' + hosts + '</td><td class="num total">' + total +
        '</td><td class="num rate">' + rate.toFixed(1) + '</td><td class="num errors">' + errors + '</td><td class="num error-rate' + (errorRate > 5 ? ' bad' : '') + '">' + errorRate.toFixed(1) + '%</td></tr>'
    })
    document.querySelector('#clusters tbody').innerHTML = rows.join('')
  }

  async function tick() {
    const status = document.getElementById('status')
    try {
      const [clustersRes, statsRes] = await Promise.all([get('clusters?format=json'), get('stats?format=json')])
      const statsJson = await statsRes.json()
      const stats = new Map()
      for (const s of statsJson.stats || []) if (typeof s.value === 'number') stats.set(s.name, s.value)
      const now = Date.now()
      render(parseClusters(await clustersRes.text()), stats, now)
      previous = { stats, at: now }
      const scope = statsJson.edgevoy ? ' · numbers of isolate ' + statsJson.edgevoy.isolate + ' only' : ''
      status.className = ''
      status.textContent = 'updated ' + new Date(now).toLocaleTimeString() + scope
      form.classList.remove('show')
    } catch (e) {
      status.className = 'error'
      status.textContent = String(e.message || e)
    }
  }
  tick()
  setInterval(tick, 2000)
})()
</script>
</body>
</html>
`
