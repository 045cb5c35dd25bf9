/**
 * The smallest YAML config the admin tests push around: one listener `edge`,
 * one route `all` to one STATIC cluster on 127.0.0.1. `routeTo` and
 * `clusterFields` make a broken one (a route to a missing cluster, a bad
 * field) for the tests that push that.
 */
import { bootstrapYaml } from './envoy-config'

export const edgeYaml = (cluster: string, port: number, o: { routeTo?: string; clusterFields?: Record<string, unknown> } = {}) =>
  bootstrapYaml({
    listener: { name: 'edge' },
    hcm: { stat_prefix: 'edge' },
    virtual_hosts: [{ name: 'main', domains: ['*'], routes: [{ name: 'all', match: { prefix: '/' }, route: { cluster: o.routeTo ?? cluster } }] }],
    clusters: { [cluster]: { endpoints: [port], ...o.clusterFields } },
  })
