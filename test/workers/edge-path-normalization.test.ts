/**
 * Path normalization before filters and routing, written as the attack: rbac
 * denies `/admin`, and the client tries `//admin`, `/%61dmin`, `/%2Fadmin`,
 * `/a/../admin`. Envoy normalizes (or rejects) in the connection manager, so
 * rbac, the route, the access log and the upstream all see one path.
 * https://www.envoyproxy.io/docs/envoy/latest/api-v3/extensions/filters/network/http_connection_manager/v3/http_connection_manager.proto#envoy-v3-api-field-extensions-filters-network-http-connection-manager-v3-httpconnectionmanager-normalize-path
 * https://www.envoyproxy.io/docs/envoy/latest/api-v3/extensions/filters/network/http_connection_manager/v3/http_connection_manager.proto#envoy-v3-api-enum-extensions-filters-network-http-connection-manager-v3-httpconnectionmanager-pathwithescapedslashesaction
 * https://www.envoyproxy.io/docs/envoy/latest/configuration/best_practices/edge
 */
import { describe, expect, inject, it } from 'vitest'
import { normalizePathname, removeDotSegments } from '../../src/router/path-normalize'
import { DENY_ADMIN, edgeListener } from '../support/edge-listener'

const upstream = inject('upstreams').a!
const listener = (hcm: Record<string, unknown>) => edgeListener({ upstream, hcm, filters: [DENY_ADMIN] })

describe('Envoy defaults (no normalization, escaped slashes kept)', () => {
  const { send, echo } = listener({})
  it('rbac denies /admin itself', async () => {
    expect((await send('/admin/users')).status).toBe(403)
  })
  it('dot segments never reach rbac: the URL parser resolves them (also %2e forms) before the Worker runs', async () => {
    expect((await send('/a/../admin')).status).toBe(403)
    expect((await send('/a/%2e%2E/admin')).status).toBe(403)
  })
  it('like Envoy, `//admin`, `/%61dmin` and `/%2Fadmin` are passed as written — the reason the edge best practices turn normalization on', async () => {
    expect((await echo(await send('//admin'))).url).toBe('//admin')
    expect((await echo(await send('/%61dmin'))).url).toBe('/%61dmin')
    expect((await echo(await send('/x/%2Fadmin'))).url).toBe('/x/%2Fadmin')
  })
})

describe('normalize_path + merge_slashes (Envoy edge best practices)', () => {
  const { send, echo, lines } = listener({ normalize_path: true, merge_slashes: true })
  it('//admin, ///admin//x, /%61dmin, /%2e%2e/%61dmin and /ADMIN-less tricks are all /admin to rbac: 403', async () => {
    for (const path of ['//admin', '///admin//x', '/%61dmin', '/%61%64%6D%69%6E/users', '/x/..//%61dmin', '/%2e%2e/%61dmin'])
      expect([path, (await send(path)).status]).toEqual([path, 403])
  })
  it('the upstream and the access log see the normalized path; the query is untouched', async () => {
    lines.length = 0
    const body = await echo(await send('//%70ublic///docs/%7Euser?q=%61//b'))
    expect(body.url).toBe('/public/docs/~user?q=%61//b')
    expect(lines.at(-1)).toMatch(/^\/public\/docs\/~user\?q=%61\/\/b \/public\/docs\/~user\?q=%61\/\/b /)
  })
  it('reserved escapes stay escaped (%2F is not a slash to normalize_path alone), %00 is rejected with 400', async () => {
    expect((await echo(await send('/files/a%2Fb%3F'))).url).toBe('/files/a%2Fb%3F')
    const res = await send('/x/%00/admin')
    expect(res.status).toBe(400)
    expect(await res.text()).toBe('')
  })
})

describe('path_with_escaped_slashes_action', () => {
  it('REJECT_REQUEST: %2F or %5C anywhere in the path → 400 before rbac or the upstream', async () => {
    const { send, echo } = listener({ path_with_escaped_slashes_action: 'REJECT_REQUEST' })
    for (const path of ['/%2Fadmin', '/%2fadmin', '/x/%5Cadmin', '/public%5c..%5cadmin']) expect([path, (await send(path)).status]).toEqual([path, 400])
    // Escaped slashes in the query are not the path's.
    expect((await echo(await send('/public?next=%2Fadmin'))).url).toBe('/public?next=%2Fadmin')
  })

  it('UNESCAPE_AND_REDIRECT: 307 to the unescaped (and merged) path, which rbac then denies', async () => {
    const { send } = listener({ path_with_escaped_slashes_action: 'UNESCAPE_AND_REDIRECT', merge_slashes: true })
    const res = await send('/%2Fadmin?x=1')
    expect(res.status).toBe(307)
    expect(res.headers.get('location')).toBe('/admin?x=1')
    expect((await send(res.headers.get('location')!)).status).toBe(403)
    // Nothing escaped: no redirect.
    expect((await send('/public')).status).toBe(200)
    // A gRPC client cannot follow a redirect: Envoy rejects it.
    expect((await send('/%2Fadmin', { method: 'POST', headers: { 'content-type': 'application/grpc' }, body: '' })).status).toBe(400)
  })

  it('UNESCAPE_AND_FORWARD: unescaped before rbac and routing; the upstream gets the unescaped path', async () => {
    const { send, echo } = listener({ path_with_escaped_slashes_action: 'UNESCAPE_AND_FORWARD', merge_slashes: true, normalize_path: true })
    expect((await send('/%2Fadmin')).status).toBe(403)
    expect((await send('/public%2F..%2Fadmin')).status).toBe(403)
    expect((await echo(await send('/public%2Fdocs'))).url).toBe('/public/docs')
  })

  it('KEEP_UNCHANGED (explicit) keeps %2F', async () => {
    const { send, echo } = listener({ path_with_escaped_slashes_action: 'KEEP_UNCHANGED' })
    expect((await echo(await send('/x/%2Fadmin'))).url).toBe('/x/%2Fadmin')
  })
})

describe('normalizePathname (the transform alone)', () => {
  const policy = { normalizePath: true, mergeSlashes: true, escapedSlashes: 'KEEP_UNCHANGED', useRemoteAddress: false, xffNumTrustedHops: 0, skipXffAppend: false, generateRequestId: true, preserveExternalRequestId: false } as const
  it("follows Envoy's path_utility tests", () => {
    // test/common/http/path_utility_test.cc: NormalizeValidPaths, NormalizeCasePath, MergeSlashes
    expect(normalizePathname('/a/b/../c', policy)).toEqual({ action: 'continue', pathname: '/a/c' })
    expect(normalizePathname('/a/b/%2E%2E/c', policy)).toEqual({ action: 'continue', pathname: '/a/c' })
    expect(normalizePathname('/a/b/../../../../c', policy)).toEqual({ action: 'continue', pathname: '/c' })
    expect(normalizePathname('/A/B/C', policy)).toEqual({ action: 'continue', pathname: '/A/B/C' })
    expect(normalizePathname('/a/%2F%2f/c', { ...policy, mergeSlashes: false })).toEqual({ action: 'continue', pathname: '/a/%2F%2f/c' })
    expect(normalizePathname('/%c0%af', policy)).toEqual({ action: 'continue', pathname: '/%c0%af' })
    expect(normalizePathname('/a/b/c//', policy)).toEqual({ action: 'continue', pathname: '/a/b/c/' })
    expect(normalizePathname('/xyz/.%00../abc', policy)).toEqual({ action: 'reject' })
    expect(removeDotSegments('/a/b/.')).toBe('/a/b/')
    expect(removeDotSegments('/a/b/..')).toBe('/a/')
  })
})
