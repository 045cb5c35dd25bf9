/**
 * `extensions.filters.http.header_mutation.v3.HeaderMutation` and
 * `HeaderMutationPerRoute`; each mutation is a
 * `config.common.mutation_rules.v3.HeaderMutation` (remove / append / remove_on_match).
 * https://www.envoyproxy.io/docs/envoy/latest/api-v3/extensions/filters/http/header_mutation/v3/header_mutation.proto
 * https://www.envoyproxy.io/docs/envoy/latest/api-v3/config/common/mutation_rules/v3/mutation_rules.proto
 */
import { z } from 'zod'
import { envoyObject } from '../envoy-object.js'
import { headerValueOption, stringMatcher } from '../matchers.js'

const mutation = envoyObject({
  remove: z.string().min(1).optional(),
  append: headerValueOption.optional(),
  remove_on_match: envoyObject({ key_matcher: stringMatcher }).optional(),
}).superRefine((m, ctx) => {
  const set = (['remove', 'append', 'remove_on_match'] as const).filter((k) => m[k] !== undefined)
  if (set.length !== 1) ctx.addIssue({ code: 'custom', message: `a header mutation takes exactly one of remove, append, remove_on_match${set.length ? `, got ${set.join(', ')}` : ''}` })
})
export type HeaderMutationEntry = z.output<typeof mutation>

const mutations = envoyObject(
  {
    request_mutations: z.array(mutation).optional(),
    response_mutations: z.array(mutation).optional(),
  },
  {
    unsupported: {
      query_parameter_mutations: 'not implemented by edgevoy',
      request_trailers_mutations: 'Workers do not expose HTTP trailers',
      response_trailers_mutations: 'Workers do not expose HTTP trailers',
    },
  },
)

export const headerMutationFilter = envoyObject(
  { '@type': z.string().optional(), mutations: mutations.optional() },
  { ignored: ['most_specific_header_mutations_wins'], notes: { most_specific_header_mutations_wins: 'the listener-level mutations always run first and the route\'s after them' } },
)
export const headerMutationPerRoute = envoyObject({ '@type': z.string().optional(), mutations: mutations.optional() })
export type HeaderMutationFilterConfig = z.output<typeof headerMutationFilter>
