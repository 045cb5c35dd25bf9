/**
 * urlParts (src/router/request-url.ts) splits the common request URL as a
 * string: it must read every URL exactly as workerd's own URL parser does,
 * or throw where that throws — here against the runtime's `URL`, on URLs
 * built from the characters and shapes the parser rewrites (dot segments and
 * their `%2e` spellings, default and padded ports, IPv4 numbers, upper case,
 * `xn--` labels, characters it percent-encodes, backslashes, fragments).
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { partsOf, urlParts } from '../../src/router/request-url'

const viaUrl = (s: string) => {
  try {
    return partsOf(new URL(s))
  } catch {
    return 'throws'
  }
}
const viaParts = (s: string) => {
  try {
    return urlParts(s)
  } catch {
    return 'throws'
  }
}

const label = fc.oneof(
  fc.constantFrom('api', 'example', 'com', 'a-b', 'xn--nxasmq6b', 'xn--a', 'EXAMPLE', '0x7f', '127', '1', '08', '255', '256', 'café', '-x', 'x-', '', '9lives'),
  fc.stringMatching(/^[a-z0-9-]{1,6}$/),
)
const host = fc.array(label, { minLength: 1, maxLength: 4 }).map((ls) => ls.join('.'))
const port = fc.constantFrom('', ':80', ':443', ':8080', ':080', ':0', ':65535', ':65536', ':99999', ':', ':1')
const segment = fc.oneof(
  fc.constantFrom('.', '..', '%2e', '.%2E', '%2E%2e', '.well-known', 'a.b', '%20', 'x%2Fy', 'caf\u00e9', 'a b', 'a"b', 'a<b>', '`', '{x}', 'a^b', 'a|b', 'a\\b', "it's", '[1]', '~u', '%', '%zz', ''),
  fc.stringMatching(/^[A-Za-z0-9\-._~!$&'()*+,;=:@%]{0,8}$/),
)
const path = fc.array(segment, { maxLength: 5 }).map((ss) => '/' + ss.join('/'))
const query = fc.oneof(
  fc.constant(''),
  fc.constant('?'),
  fc.stringMatching(/^[A-Za-z0-9\-._~!$&'()*+,;=:@/?%]{0,10}$/).map((q) => `?${q}`),
  fc.constantFrom('?a=1&b=2', "?q='x'", '?a b', '?x=caf\u00e9', '?a#frag', '?<x>', '?a`b', '?{x}'),
)
const scheme = fc.constantFrom('http', 'https', 'HTTP', 'Https', 'ftp', 'ws')
const url = fc.tuple(scheme, host, port, path, query, fc.constantFrom('', '', '', '#f')).map(([s, h, p, pa, q, f]) => `${s}://${h}${p}${pa}${q}${f}`)

describe('urlParts', () => {
  it('reads request URLs as the runtime URL parser does', () => {
    fc.assert(
      fc.property(url, (s) => {
        expect(viaParts(s)).toEqual(viaUrl(s))
      }),
      { numRuns: 20_000 },
    )
  })

  it('splits a canonical URL as a string and sends the rest through URL', () => {
    expect(urlParts('http://api.example.com/api/v1/svc0/items/42?page=2')).toEqual({ scheme: 'http', host: 'api.example.com', pathname: '/api/v1/svc0/items/42', search: '?page=2' })
    expect(urlParts('https://h:8443/')).toEqual({ scheme: 'https', host: 'h:8443', pathname: '/', search: '' })
    for (const s of ['http://h/a/../b', 'http://h:80/x', 'http://127.1/', 'http://H/', 'http://h/a%2e%2E/b', 'http://h/a b?c d', "https://h/?q='x'", 'http://h/a\\b'])
      expect(urlParts(s)).toEqual(partsOf(new URL(s)))
    expect(() => urlParts('http://h:99999/')).toThrow()
  })
})
