/**
 * workerd's own error lines, made readable: a DNS failure becomes one line
 * saying which name and what to do, instead of a kj error with a stack of
 * addresses. Set EDGEVOY_DEBUG=1 to see workerd's lines untouched.
 */

/** The line to print for one line of workerd output, or undefined to drop it. */
export function tidyRuntimeLine(line: string, debug = !!process.env.EDGEVOY_DEBUG): string | undefined {
  if (debug) return line
  // The stack of a kj exception: addresses in workerd's binary, of no use to a user.
  if (/^stack: \S*workerd@/.test(line)) return undefined
  const dns = /DNS lookup failed\.; params\.host = ([^;]+); .*?gai_strerror\(status\) = ([^;]+)/.exec(line)
  if (dns) {
    const host = dns[1]!.trim()
    return `edgevoy: DNS lookup of "${host}" failed (${dns[2]!.trim()}): the request got 503; map the name with --resolve ${host}=IP[:PORT], or fix the endpoint address`
  }
  // The client went away mid-response (curl interrupted): nothing went wrong on our side.
  if (/disconnected: ::write\(.*Broken pipe|disconnected: ::writev?\(.*Connection reset/.test(line)) return undefined
  // Any other workerd error: one line, without source positions and error-report ids.
  const kj = /^workerd\/[^:]+:\d+: (error|warning): (.*)$/.exec(line)
  if (kj) return `edgevoy: workerd ${kj[1]}: ${kj[2]!.replace(/\S+\.c\+\+:\d+: /g, '').replace(/; (sentryErrorContext|wdErrId) = .*$/, '').trim()}`
  return line
}
