/**
 * `config.route.v3.RouteAction.HashPolicy`: what a request is hashed on for
 * RING_HASH and MAGLEV clusters. `ttl` comes out in milliseconds.
 * https://www.envoyproxy.io/docs/envoy/latest/api-v3/config/route/v3/route_components.proto#config-route-v3-routeaction-hashpolicy
 */
import { z } from 'zod'
import { duration, envoyObject } from './envoy-object.js'

export const hashPolicy = envoyObject(
  {
    header: envoyObject(
      { header_name: z.string().min(1) },
      { unsupported: { regex_rewrite: 'rewriting header values before hashing is not implemented' } },
    ).optional(),
    cookie: envoyObject({
      name: z.string().min(1),
      ttl: duration.optional(),
      path: z.string().optional(),
      attributes: z.array(envoyObject({ name: z.string().min(1), value: z.string().optional() })).optional(),
    }).optional(),
    connection_properties: envoyObject({ source_ip: z.boolean().optional() }).optional(),
    query_parameter: envoyObject({ name: z.string().min(1) }).optional(),
    terminal: z.boolean().optional(),
  },
  { unsupported: { filter_state: 'there is no filter state to hash on a Worker' } },
).refine(
  (p) => [p.header, p.cookie, p.connection_properties, p.query_parameter].filter((x) => x !== undefined).length === 1,
  { message: 'a hash_policy entry sets exactly one of header, cookie, connection_properties, query_parameter' },
)

export type HashPolicyConfig = z.output<typeof hashPolicy>
