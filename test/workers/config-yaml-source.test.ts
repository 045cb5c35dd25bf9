/**
 * Config text → value + positions. Envoy reads YAML and JSON bootstrap files
 * (https://www.envoyproxy.io/docs/envoy/latest/configuration/overview/examples);
 * positions point config errors at the line to fix.
 */
import { describe, expect, it } from 'vitest'
import { parseSource } from '../../src/config/yaml-source'

const YAML = `static_resources:
  listeners:
  - name: main
    address:
      socket_address: { address: 0.0.0.0, port_value: 10000 }
  clusters:
  - name: api
    lb_policy: ROUND_ROBBIN
    load_assignment:
      cluster_name: api
`

describe('parseSource', () => {
  it('parses YAML into plain values', () => {
    const doc = parseSource(YAML)
    expect(doc.syntaxErrors).toEqual([])
    expect(doc.value).toEqual({
      static_resources: {
        listeners: [{ name: 'main', address: { socket_address: { address: '0.0.0.0', port_value: 10000 } } }],
        clusters: [{ name: 'api', lb_policy: 'ROUND_ROBBIN', load_assignment: { cluster_name: 'api' } }],
      },
    })
  })

  it('locates a mapping entry at its key, 1-based', () => {
    const doc = parseSource(YAML)
    expect(doc.locate(['static_resources', 'clusters', 0, 'lb_policy'])).toEqual({ line: 8, column: 5 })
    expect(doc.locate(['static_resources', 'listeners', 0, 'address', 'socket_address', 'port_value'])).toEqual({ line: 5, column: 43 })
    expect(doc.locate(['static_resources'])).toEqual({ line: 1, column: 1 })
  })

  it('locates a sequence item at the item', () => {
    expect(parseSource(YAML).locate(['static_resources', 'clusters', 0])).toEqual({ line: 7, column: 5 })
  })

  it('falls back to the deepest existing ancestor for a missing path', () => {
    const doc = parseSource(YAML)
    // zod reports a missing required field at its would-be path: point at the mapping that lacks it.
    expect(doc.locate(['static_resources', 'clusters', 0, 'load_assignment', 'endpoints'])).toEqual({ line: 9, column: 5 })
    expect(doc.locate(['static_resources', 'clusters', 3, 'name'])).toEqual({ line: 6, column: 3 })
    expect(doc.locate(['nope'])).toEqual({ line: 1, column: 1 })
  })

  it('parses and locates JSON too', () => {
    const doc = parseSource('{\n  "admin": {"address": {"port_value": 9901}},\n  "list": [1, {"x": true}]\n}\n')
    expect(doc.syntaxErrors).toEqual([])
    expect(doc.value).toEqual({ admin: { address: { port_value: 9901 } }, list: [1, { x: true }] })
    expect(doc.locate(['admin', 'address', 'port_value'])).toEqual({ line: 2, column: 25 })
    expect(doc.locate(['list', 1, 'x'])).toEqual({ line: 3, column: 16 })
  })

  it('reports duplicate keys as syntax errors with a position', () => {
    const doc = parseSource('a: 1\nb:\n  c: 1\n  c: 2\n')
    expect(doc.syntaxErrors).toHaveLength(1)
    expect(doc.syntaxErrors[0]).toMatchObject({ line: 4, column: 3 })
    expect(doc.syntaxErrors[0]!.message).toMatch(/unique/i)
    expect(doc.syntaxErrors[0]!.message).not.toContain('\n')
  })

  it('reports duplicate keys in JSON', () => {
    expect(parseSource('{"a": 1, "a": 2}').syntaxErrors).toHaveLength(1)
  })

  it('reports broken YAML with a position and a one-line message', () => {
    const doc = parseSource('a: [1, 2\nb: 3\n')
    expect(doc.syntaxErrors.length).toBeGreaterThan(0)
    for (const e of doc.syntaxErrors) {
      expect(e.line).toBeGreaterThanOrEqual(1)
      expect(e.column).toBeGreaterThanOrEqual(1)
      expect(e.message).not.toContain('\n')
    }
  })

  it('resolves anchors, aliases and << merge keys', () => {
    const doc = parseSource(`defaults: &defaults
  connect_timeout: 1s
  type: STRICT_DNS
clusters:
- <<: *defaults
  name: a
- <<: *defaults
  name: b
  type: STATIC
hosts: &h [x, y]
copy: *h
`)
    expect(doc.syntaxErrors).toEqual([])
    expect(doc.value).toMatchObject({
      clusters: [
        { connect_timeout: '1s', type: 'STRICT_DNS', name: 'a' },
        { connect_timeout: '1s', type: 'STATIC', name: 'b' },
      ],
      copy: ['x', 'y'],
    })
    // A merged-in key is located where its text is: in the anchored mapping.
    expect(doc.locate(['clusters', 0, 'type'])).toEqual({ line: 3, column: 3 })
    // An own key overrides the merge, and is located at itself.
    expect(doc.locate(['clusters', 1, 'type'])).toEqual({ line: 9, column: 3 })
    expect(doc.locate(['copy', 1])).toEqual({ line: 10, column: 15 })
  })

  it('an empty document is null and locates nothing', () => {
    const doc = parseSource('')
    expect(doc.value).toBeNull()
    expect(doc.syntaxErrors).toEqual([])
    expect(doc.locate(['a'])).toBeUndefined()
  })
})
