/**
 * Virtual host selection by :authority.
 * https://www.envoyproxy.io/docs/envoy/latest/api-v3/config/route/v3/route_components.proto#config-route-v3-virtualhost
 * "Domain search order: 1. Exact domain names: www.foo.com. 2. Suffix domain
 * wildcards: *.foo.com or *-bar.foo.com. 3. Prefix domain wildcards: foo.* or
 * foo-*. 4. Special wildcard * matching any domain. … The wildcard will not
 * match the empty string … longest wildcards match first. Only a single
 * virtual host in the entire route configuration can match on *."
 */
import { describe, expect, it } from 'vitest'
import { bootstrap, compileJson } from '../support/config'

const vh = (name: string, domains: string[]) => ({ name, domains, routes: [{ match: { prefix: '/' }, direct_response: { status: 200, body: { inline_string: name } } }] })

function lookup(vhosts: unknown[], extra: Parameters<typeof bootstrap>[0] extends infer T ? Partial<T> : never = {}) {
  const snap = compileJson(bootstrap({ virtual_hosts: vhosts, ...extra }))
  return (authority: string) => snap.listeners[0]!.routeTable.findVirtualHost(authority)?.name
}

describe('virtual host selection (Envoy domain search order)', () => {
  const find = lookup([
    vh('default', ['*']),
    vh('prefix-short', ['foo.*']),
    vh('prefix-long', ['foo.bar.*']),
    vh('suffix-short', ['*.com']),
    vh('suffix-long', ['*.example.com']),
    vh('suffix-dash', ['*-bar.example.org']),
    vh('exact', ['www.example.com', 'api.example.com:8443']),
  ])

  it('prefers an exact domain over every wildcard', () => {
    expect(find('www.example.com')).toBe('exact')
  })
  it('is case-insensitive', () => {
    expect(find('WWW.Example.COM')).toBe('exact')
    expect(find('X.EXAMPLE.com')).toBe('suffix-long')
  })
  it('tries suffix wildcards before prefix wildcards, longest first', () => {
    expect(find('a.example.com')).toBe('suffix-long')
    expect(find('a.other.com')).toBe('suffix-short')
    // foo.example.com matches both foo.* and *.example.com: suffix wins.
    expect(find('foo.example.com')).toBe('suffix-long')
    expect(find('foo-bar.example.org')).toBe('suffix-dash')
  })
  it('falls back to prefix wildcards, longest first', () => {
    expect(find('foo.bar.net')).toBe('prefix-long')
    expect(find('foo.net')).toBe('prefix-short')
  })
  it('never lets a wildcard match the empty string', () => {
    // "*.example.com" does not match ".example.com"; "foo.*" does not match "foo."
    expect(find('.example.com')).toBe('suffix-short')
    expect(find('foo.')).toBe('default')
  })
  it('uses * only when nothing else matches', () => {
    expect(find('unrelated.net')).toBe('default')
  })
  it('matches the port as part of the authority unless told to strip it', () => {
    expect(find('api.example.com:8443')).toBe('exact')
    expect(find('www.example.com:8080')).toBe('default')
    expect(find('api.example.com')).toBe('suffix-long')
  })
  it('answers no virtual host when there is no * and nothing matches', () => {
    const only = lookup([vh('exact', ['a.test'])])
    expect(only('b.test')).toBeUndefined()
  })
})

describe('host port handling', () => {
  it('strip_any_host_port removes any port before matching', () => {
    // https://www.envoyproxy.io/docs/envoy/latest/api-v3/extensions/filters/network/http_connection_manager/v3/http_connection_manager.proto#envoy-v3-api-field-extensions-filters-network-http-connection-manager-v3-httpconnectionmanager-strip-any-host-port
    const find = lookup([vh('exact', ['www.example.com'])], { hcm: { strip_any_host_port: true } })
    expect(find('www.example.com:9999')).toBe('exact')
  })
  it('strip_matching_host_port removes only the listener port', () => {
    const find = lookup([vh('exact', ['www.example.com'])], { hcm: { strip_matching_host_port: true } })
    expect(find('www.example.com:8080')).toBe('exact')
    expect(find('www.example.com:9999')).toBeUndefined()
  })
  it('ignore_port_in_host_matching on the route configuration', () => {
    const find = lookup([vh('exact', ['www.example.com'])], { route_config: { ignore_port_in_host_matching: true } })
    expect(find('www.example.com:1234')).toBe('exact')
  })
  it('keeps IPv6 literals intact', () => {
    const find = lookup([vh('v6', ['[::1]'])], { hcm: { strip_any_host_port: true } })
    expect(find('[::1]:8080')).toBe('v6')
    expect(find('[::1]')).toBe('v6')
  })
})
