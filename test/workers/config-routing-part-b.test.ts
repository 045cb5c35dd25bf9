/**
 * What `validate` says about the routing part B fields: upgrade_configs
 * (Envoy refuses a duplicate type; a WebSocket-looking route without a
 * websocket upgrade is answered 403, so validate says so), RouteMatch.cookies,
 * the two route-configuration switches, and RBAC matcher beside rules.
 * https://www.envoyproxy.io/docs/envoy/latest/intro/arch_overview/http/upgrades
 */
import { describe, expect, it } from 'vitest'
import { loadConfig } from '../../src/config/load'
import { anyHost, bootstrapYaml } from '../support/envoy-config'

type Fields = Record<string, unknown>
const config = (hcm: Fields, routes: unknown[], routeConfig: Fields = {}) =>
  bootstrapYaml({ hcm: { use_remote_address: true, ...hcm }, route_config: routeConfig, virtual_hosts: anyHost(routes), clusters: { chat: [9000] } })
const wsRoute = { name: 'chat-ws', match: { prefix: '/ws' }, route: { cluster: 'chat' } }
const wsUpgrade = { upgrade_configs: [{ upgrade_type: 'websocket' }] }
const messages = (r: ReturnType<typeof loadConfig>, kind: 'errors' | 'warnings') => r[kind].map((i) => `${i.path.join('.')}: ${i.message}`).join('\n')

describe('upgrade_configs in validate', () => {
  it('warns, naming the route and the upgrade, when a WebSocket-looking route has no websocket upgrade enabled', () => {
    const r = loadConfig(config({}, [wsRoute]))
    expect(r.errors).toEqual([])
    expect(messages(r, 'warnings')).toMatch(/routes\.0\.match: route chat-ws looks like a WebSocket endpoint \(its prefix "\/ws" names a WebSocket endpoint\) but no upgrade_configs enables the websocket upgrade for it: Envoy and edgevoy answer its upgrade requests 403/)
  })

  it('says nothing once the connection manager or the route enables it; warns again where the route disables it', () => {
    expect(messages(loadConfig(config(wsUpgrade, [wsRoute])), 'warnings')).not.toMatch(/WebSocket endpoint/)
    const routeOn = { name: 'chat-ws', match: { path: '/socket.io/' }, route: { cluster: 'chat', upgrade_configs: [{ upgrade_type: 'WebSocket' }] } }
    expect(messages(loadConfig(config({}, [routeOn])), 'warnings')).not.toMatch(/WebSocket endpoint/)
    const routeOff = { ...wsRoute, route: { cluster: 'chat', upgrade_configs: [{ upgrade_type: 'websocket', enabled: false }] } }
    expect(messages(loadConfig(config(wsUpgrade, [routeOff])), 'warnings')).toMatch(/route chat-ws looks like a WebSocket endpoint/)
  })

  it('the warning survives other warnings in the same connection manager (a warning never hides another)', () => {
    const r = loadConfig(config({ codec_type: 'HTTP2' }, [wsRoute]))
    expect(messages(r, 'warnings')).toMatch(/codec_type/)
    expect(messages(r, 'warnings')).toMatch(/route chat-ws looks like a WebSocket endpoint/)
  })

  it('refuses a type listed twice ("Duplicate upgrade", as Envoy) and connect_config; warns that other types are forwarded without their Upgrade', () => {
    const dup = loadConfig(config({ upgrade_configs: [{ upgrade_type: 'websocket' }, { upgrade_type: 'WebSocket' }] }, [wsRoute]))
    expect(messages(dup, 'errors')).toMatch(/upgrade_configs\.1\.upgrade_type: Duplicate upgrade WebSocket/)
    const connect = loadConfig(config({}, [{ match: { prefix: '/' }, route: { cluster: 'chat', upgrade_configs: [{ upgrade_type: 'CONNECT', connect_config: {} }] } }]))
    expect(messages(connect, 'errors')).toMatch(/connect_config is not supported by edgevoy: Workers cannot accept or forward HTTP CONNECT/)
    const h2c = loadConfig(config({ upgrade_configs: [{ upgrade_type: 'h2c' }] }, [wsRoute]))
    expect(messages(h2c, 'warnings')).toMatch(/upgrade_type h2c: Workers can forward only WebSocket upgrades/)
  })

  it('lowerCamelCase names (protobuf JSON) are read too', () => {
    const r = loadConfig(config({ upgradeConfigs: [{ upgradeType: 'websocket' }] }, [wsRoute], { mostSpecificHeaderMutationsWins: true, ignorePathParametersInPathMatching: true }))
    expect(r.errors).toEqual([])
    expect(messages(r, 'warnings')).not.toMatch(/WebSocket endpoint|is ignored/)
  })
})

describe('route configuration switches and cookies', () => {
  it('most_specific_header_mutations_wins and ignore_path_parameters_in_path_matching are applied: no "ignored" warning', () => {
    const r = loadConfig(config({}, [{ ...wsRoute, match: { prefix: '/api' } }], { most_specific_header_mutations_wins: true, ignore_path_parameters_in_path_matching: true }))
    expect(r.errors).toEqual([])
    expect(messages(r, 'warnings')).not.toMatch(/most_specific|ignore_path_parameters/)
  })

  it('a cookie matcher needs a name and a string_match', () => {
    const r = loadConfig(config({}, [{ match: { prefix: '/', cookies: [{ name: 'track' }] }, route: { cluster: 'chat' } }]))
    expect(messages(r, 'errors')).toMatch(/cookies\.0\.string_match/)
  })
})
