/**
 * Configs Envoy refuses are refused here too, with Envoy's words where it has
 * them: header mutations it cannot apply, values that would become broken
 * headers, conflicting oneof fields, oversized direct responses.
 * https://www.envoyproxy.io/docs/envoy/latest/configuration/http/http_conn_man/headers#custom-request-response-headers
 * Envoy source/common/router/header_parser.cc, config_impl.cc
 */
import { describe, expect, it } from 'vitest'
import { loadConfig } from '../../src/config/load'
import { anyHost, bootstrap } from '../support/envoy-config'

const withRoute = (route: object, vhost: Record<string, unknown> = {}) =>
  JSON.stringify(bootstrap({ virtual_hosts: anyHost([{ match: { prefix: '/' }, ...route }], vhost), clusters: { backend: [9000] } }))
const errorsOf = (route: object, vhost?: Record<string, unknown>) => loadConfig(withRoute(route, vhost)).errors.map((e) => e.message)
const ok = { route: { cluster: 'backend' } }

describe('refused as Envoy refuses them', () => {
  it('a :-prefixed header in request_headers_to_add', () => {
    expect(errorsOf({ ...ok, request_headers_to_add: [{ header: { key: ':authority', value: 'evil' } }] })).toEqual([expect.stringMatching(/^":-prefixed headers may not be modified"/)])
  })

  it('host or a :-prefixed header in request_headers_to_remove', () => {
    expect(errorsOf({ ...ok, request_headers_to_remove: ['host'] })).toEqual([':-prefixed or host headers may not be removed'])
    expect(errorsOf({ ...ok, request_headers_to_remove: [':path'] })).toEqual([':-prefixed or host headers may not be removed'])
    expect(errorsOf({ ...ok, request_headers_to_remove: ['x-internal'] })).toEqual([])
  })

  it('append together with append_action', () => {
    expect(errorsOf({ ...ok, response_headers_to_add: [{ header: { key: 'x-a', value: '1' }, append: true, append_action: 'ADD_IF_ABSENT' }] })).toEqual(["Both append and append_action are set and it's not allowed"])
  })

  it('an unterminated %…% command is an error; one edgevoy does not fill in is a warning', () => {
    expect(errorsOf({ ...ok, request_headers_to_add: [{ header: { key: 'x-a', value: 'ip=%DOWNSTREAM_REMOTE_ADDRESS' } }] })[0]).toMatch(/Un-terminated variable expression/)
    const r = loadConfig(withRoute({ ...ok, request_headers_to_add: [{ header: { key: 'x-a', value: '%UPSTREAM_METADATA(["a"])%' } }] }))
    expect(r.errors).toEqual([])
    expect(r.warnings.map((w) => w.message)).toContainEqual(expect.stringMatching(/%UPSTREAM_METADATA% is not filled in by edgevoy: it formats as empty/))
    expect(errorsOf({ ...ok, request_headers_to_add: [{ header: { key: 'x-a', value: '100%% %REQ(x-b)% %PROTOCOL%' } }] })).toEqual([])
  })

  it('a newline in prefix_rewrite, host_rewrite_literal, host_redirect or path_redirect', () => {
    expect(errorsOf({ route: { cluster: 'backend', prefix_rewrite: '/a\r\nx-injected: 1' } })[0]).toMatch(/must not contain a newline/)
    expect(errorsOf({ route: { cluster: 'backend', host_rewrite_literal: 'a\nb' } })[0]).toMatch(/must not contain a newline/)
    expect(errorsOf({ redirect: { host_redirect: 'example.com\r\nSet-Cookie: x=1' } })[0]).toMatch(/must not contain a newline/)
    expect(errorsOf({ redirect: { path_redirect: '/a\nb' } })[0]).toMatch(/must not contain a newline/)
  })

  it('host_rewrite_literal together with auto_host_rewrite', () => {
    expect(errorsOf({ route: { cluster: 'backend', host_rewrite_literal: 'a.example', auto_host_rewrite: true } })).toContainEqual(expect.stringMatching(/host_rewrite_literal and auto_host_rewrite are mutually exclusive/))
  })

  it('an inline direct-response body over 4096 bytes', () => {
    expect(errorsOf({ direct_response: { status: 200, body: { inline_string: 'x'.repeat(4097) } } })).toEqual(['response body size is 4097 bytes; maximum is 4096'])
    expect(errorsOf({ direct_response: { status: 200, body: { inline_string: 'x'.repeat(4096) } } })).toEqual([])
  })

  it('a virtual cluster without header matchers', () => {
    expect(errorsOf(ok, { virtual_clusters: [{ name: 'all' }] })).toEqual([expect.stringMatching(/a virtual cluster needs at least one header matcher/)])
    expect(errorsOf(ok, { virtual_clusters: [{ name: 'api', headers: [{ name: ':path', string_match: { prefix: '/api' } }] }] })).toEqual([])
  })
})
