/**
 * IP literals and CIDR ranges for the connection manager stage: Envoy's
 * Network::Utility::parseInternetAddress (as far as x-forwarded-for needs)
 * and Network::Address::CidrRange.
 */

/** An IPv4 or IPv6 literal as bits, or undefined when `ip` is not one. */
export function parseIp(ip: string): { v6: boolean; bits: bigint } | undefined {
  const v4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(ip)
  if (v4) {
    const parts = v4.slice(1).map(Number)
    if (parts.some((p) => p > 255)) return undefined
    return { v6: false, bits: parts.reduce((acc, p) => (acc << 8n) | BigInt(p), 0n) }
  }
  if (!ip.includes(':')) return undefined
  const halves = ip.split('::')
  if (halves.length > 2) return undefined
  const h = halves[0] ? halves[0].split(':') : []
  const t = halves[1] ? halves[1].split(':') : []
  const groups = halves.length === 1 ? h : [...h, ...Array<string>(Math.max(0, 8 - h.length - t.length)).fill('0'), ...t]
  if (groups.length !== 8 || groups.some((g) => !/^[0-9a-f]{1,4}$/i.test(g))) return undefined
  return { v6: true, bits: groups.reduce((acc, g) => (acc << 16n) | BigInt(parseInt(g, 16)), 0n) }
}

export const isIp = (s: string): boolean => parseIp(s) !== undefined

/** A CIDR range (`prefixLen` absent: the whole address) as a predicate over IP strings. */
export function inCidr(addressPrefix: string, prefixLen: number | undefined): (ip: string) => boolean {
  const base = parseIp(addressPrefix)
  if (!base) return () => false
  const width = base.v6 ? 128 : 32
  const len = Math.min(prefixLen ?? width, width)
  const mask = len === 0 ? 0n : ((1n << BigInt(len)) - 1n) << BigInt(width - len)
  return (ip) => {
    const p = parseIp(ip)
    return !!p && p.v6 === base.v6 && (p.bits & mask) === (base.bits & mask)
  }
}
