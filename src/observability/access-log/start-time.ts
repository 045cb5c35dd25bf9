/**
 * `%START_TIME%` and `%START_TIME(fmt)%`: strftime specifiers plus Envoy's
 * `%s` (epoch seconds) and `%f`/`%3f`…`%9f` (fractional seconds), always UTC.
 * https://www.envoyproxy.io/docs/envoy/latest/configuration/observability/access_log/usage#config-access-log-format-start-time
 */
const pad = (n: number, w = 2) => String(n).padStart(w, '0')

export function formatStartTime(ms: number, format: string | undefined): string {
  const d = new Date(ms)
  // Envoy's default: ISO 8601 with milliseconds, e.g. 2016-04-15T20:17:00.310Z.
  if (!format) return d.toISOString()
  return format.replace(/%E(\d)S|%(\d)?([a-zA-Z%])/g, (whole, eWidth: string | undefined, width: string | undefined, spec: string | undefined) => {
    if (eWidth) return `${pad(d.getUTCSeconds())}.${fraction(ms, Number(eWidth))}`
    switch (spec) {
      case 'Y': return String(d.getUTCFullYear())
      case 'm': return pad(d.getUTCMonth() + 1)
      case 'd': return pad(d.getUTCDate())
      case 'H': return pad(d.getUTCHours())
      case 'M': return pad(d.getUTCMinutes())
      case 'S': return pad(d.getUTCSeconds())
      case 's': return String(Math.floor(ms / 1000))
      case 'f': return fraction(ms, width ? Number(width) : 9)
      case 'z': return '+0000'
      case 'Z': return 'UTC'
      case 'T': return `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`
      case 'F': return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`
      case 'j': return pad(Math.floor((ms - Date.UTC(d.getUTCFullYear(), 0, 1)) / 86_400_000) + 1, 3)
      case '%': return '%'
      default: return whole
    }
  })
}

/** Fractional seconds to `digits` places (the clock has millisecond resolution). */
function fraction(ms: number, digits: number): string {
  return pad(((ms % 1000) + 1000) % 1000, 3).padEnd(9, '0').slice(0, digits)
}
