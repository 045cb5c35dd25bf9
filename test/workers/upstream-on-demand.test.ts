/**
 * What of the on-demand upstream code (src/upstream/on-demand.ts) a snapshot
 * asks for where it is made ready to serve: a route that is never retried
 * must not need retrying's chunk, and a listener whose internal callers may
 * ask for retries with x-envoy-retry-on must, even when no route retries.
 * (The chunks themselves are imported in a fresh isolate in test/node/lazy-filters.test.ts.)
 */
import { describe, expect, it } from 'vitest'
import { upstreamNeeds } from '../../src/upstream/on-demand'
import { anyHost, bootstrap, compileJson } from '../support/config'

const plain = { match: { prefix: '/' }, route: { cluster: 'c' } }
const needs = (routes: unknown[], hcm: Record<string, unknown> = {}) => upstreamNeeds(compileJson(bootstrap({ virtual_hosts: anyHost(routes), clusters: { c: [1] }, hcm })))

describe('upstreamNeeds: retrying', () => {
  it('not for routes without a retry policy', () => {
    expect(needs([plain])).toEqual({ outlier: false, mirror: false, hashPolicy: false, retries: false })
  })

  it('for a route with a retry policy, or a virtual host with one', () => {
    expect(needs([{ match: { prefix: '/' }, route: { cluster: 'c', retry_policy: { retry_on: '5xx', num_retries: 2 } } }]).retries).toBe(true)
    const vhost = [{ name: 'v', domains: ['*'], routes: [plain], retry_policy: { retry_on: 'reset' } }]
    expect(upstreamNeeds(compileJson(bootstrap({ virtual_hosts: vhost, clusters: { c: [1] } }))).retries).toBe(true)
  })

  it('for a listener with internal callers (they may send x-envoy-retry-on), though no route retries', () => {
    expect(needs([plain], { internal_address_config: { cidr_ranges: [{ address_prefix: '10.0.0.0', prefix_len: 8 }] } }).retries).toBe(true)
    // No cidr_ranges: Envoy's private ranges are internal (compile/downstream.ts).
    expect(needs([plain], { internal_address_config: {} }).retries).toBe(true)
  })
})
