/**
 * The data plane asks on every request whether it is for the admin API; it
 * reads the path from the URL string instead of parsing a URL object, and
 * must read exactly what the URL parser reads.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { isAdminRequest, pathnameOf } from '../../src/state/admin-request.js'

describe('pathnameOf', () => {
  it('reads the pathname of any serialized http(s) URL as new URL() does', () => {
    fc.assert(
      fc.property(fc.webUrl({ withQueryParameters: true, withFragments: true, authoritySettings: { withPort: true, withUserInfo: true } }), (raw) => {
        const url = new Request(raw).url // serialized as workerd hands request.url over
        expect(pathnameOf(url)).toBe(new URL(url).pathname)
      }),
      { numRuns: 500 },
    )
  }, 30_000) // 500 URLs, ~1 s alone; a loaded 2-core machine has taken 5.4 s

  it('handles the edges: no path, query and fragment right after the host, escaped ? and #', () => {
    for (const raw of ['http://h', 'http://h?x=/a', 'https://h:8443#/__admin', 'http://u:p@h/a%3F/b%23?q#f', 'http://h/__admin/x?y', 'http://[::1]:80/p']) {
      const url = new Request(raw).url
      expect(pathnameOf(url)).toBe(new URL(url).pathname)
    }
  })
})

describe('isAdminRequest', () => {
  it('the prefix and its subpaths only; the query never counts; ADMIN_HOST narrows it', () => {
    const env = {} as never
    expect(isAdminRequest(new Request('http://x/__admin'), env)).toBe(true)
    expect(isAdminRequest(new Request('http://x/__admin/stats?a=1'), env)).toBe(true)
    expect(isAdminRequest(new Request('http://x/__adminx'), env)).toBe(false)
    expect(isAdminRequest(new Request('http://x/api?next=/__admin/'), env)).toBe(false)
    expect(isAdminRequest(new Request('http://x/api#/__admin/'), env)).toBe(false)
    const hosted = { ADMIN_HOST: 'Admin.Example' } as never
    expect(isAdminRequest(new Request('http://admin.example:8080/__admin/'), hosted)).toBe(true)
    expect(isAdminRequest(new Request('http://other/__admin/'), hosted)).toBe(false)
    expect(isAdminRequest(new Request('http://x/ops', { headers: {} }), { ADMIN_PREFIX: 'ops/' } as never)).toBe(true)
  })
})
