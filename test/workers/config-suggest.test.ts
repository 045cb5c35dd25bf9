/**
 * "Did you mean" hints for unknown enum values, field names and cluster names.
 * Enum names from https://www.envoyproxy.io/docs/envoy/latest/api-v3/config/cluster/v3/cluster.proto#enum-config-cluster-v3-cluster-lbpolicy
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { didYouMean, editDistance } from '../../src/config/suggest'

const LB_POLICIES = ['ROUND_ROBIN', 'LEAST_REQUEST', 'RING_HASH', 'RANDOM', 'MAGLEV', 'CLUSTER_PROVIDED', 'LOAD_BALANCING_POLICY_CONFIG']
const MATCH_FIELDS = ['prefix', 'path', 'safe_regex', 'path_separated_prefix', 'connect_matcher', 'headers', 'query_parameters', 'case_sensitive']

describe('didYouMean', () => {
  it.each([
    ['ROUND_ROBBIN', 'ROUND_ROBIN', LB_POLICIES],
    ['round_robin', 'ROUND_ROBIN', LB_POLICIES],
    ['LEAST_REQUESTS', 'LEAST_REQUEST', LB_POLICIES],
    ['MAGELV', 'MAGLEV', LB_POLICIES],
    ['prefx', 'prefix', MATCH_FIELDS],
    ['safe_regx', 'safe_regex', MATCH_FIELDS],
    ['clustr', 'cluster', ['cluster', 'clusters', 'weighted_clusters']],
    ['paht', 'path', MATCH_FIELDS],
  ])('%s → %s', (input, want, candidates) => {
    expect(didYouMean(input, candidates)).toBe(want)
  })

  it.each([
    ['xyz', LB_POLICIES],
    ['LEAST_CONN', LB_POLICIES],
    ['regex', MATCH_FIELDS],
    ['anything', []],
  ])('%s has no close candidate', (input, candidates: string[]) => {
    expect(didYouMean(input, candidates)).toBeUndefined()
  })

  it('prefers the closest candidate, then the first listed', () => {
    expect(didYouMean('clusterz', ['clusters', 'cluster'])).toBe('clusters')
    expect(didYouMean('ab', ['ac', 'ad'])).toBe('ac')
  })

  it('allows max(1, floor(len/3)) edits', () => {
    expect(didYouMean('ab', ['xb'])).toBe('xb')
    expect(didYouMean('ab', ['xy'])).toBeUndefined()
    expect(didYouMean('abcdef', ['abxyef'])).toBe('abxyef')
    expect(didYouMean('abcdef', ['axyzef'])).toBeUndefined()
  })
})

describe('editDistance', () => {
  it.each([
    ['', '', 0],
    ['abc', '', 3],
    ['kitten', 'sitting', 3],
    ['ab', 'ba', 1],
    ['prefx', 'prefix', 1],
    ['ca', 'abc', 3],
  ])('%s ↔ %s = %i', (a, b, d) => {
    expect(editDistance(a, b)).toBe(d)
  })

  const word = fc.string({ unit: fc.constantFrom(...'abcd'), maxLength: 8 })

  it('is a symmetric distance bounded by the longer length', () => {
    fc.assert(
      fc.property(word, word, (a, b) => {
        const d = editDistance(a, b)
        expect(d).toBe(editDistance(b, a))
        expect(d === 0).toBe(a === b)
        expect(d).toBeLessThanOrEqual(Math.max(a.length, b.length))
        expect(d).toBeGreaterThanOrEqual(Math.abs(a.length - b.length))
      }),
      { numRuns: 300 },
    )
  })

  it('a cutoff never changes answers below it', () => {
    fc.assert(
      fc.property(word, word, fc.integer({ min: 1, max: 5 }), (a, b, cutoff) => {
        const exact = editDistance(a, b)
        const cut = editDistance(a, b, cutoff)
        if (exact < cutoff) expect(cut).toBe(exact)
        else expect(cut).toBeGreaterThanOrEqual(cutoff)
      }),
      { numRuns: 300 },
    )
  })
})
