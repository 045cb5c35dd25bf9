/**
 * Every field of every zod schema under src/config/schema, found by walking
 * zod v4's definitions (`_zod.def`): object shapes, and whatever wraps them
 * (optional, default, pipe, union, array, record, lazy, intersection).
 * A schema a module exports is named by its export (`cluster`, `listener`);
 * one it does not export, by its path under the nearest exported one
 * (`cluster.load_assignment`'s inner objects are `clusterLoadAssignment.…`).
 */
import type { z } from 'zod'

export interface SchemaField {
  /** `<object path>.<field>`, e.g. `cluster.load_assignment` or `bootstrap.static_resources.listeners[].name`. */
  readonly key: string
  readonly field: string
  /** The object's own path (without the field). */
  readonly object: string
  /** The field's zod schema (envoy-object.ts keeps not-applied reasons by it). */
  readonly schema: unknown
  /** The object's fields: `['value']` marks a proto wrapper's JSON form (`{ value: … }`). */
  readonly siblings: readonly string[]
}

type Def = { type: string; [k: string]: unknown }
const defOf = (s: unknown): Def | undefined => (s as { _zod?: { def?: Def } } | undefined)?._zod?.def

export function schemaFields(modules: readonly Readonly<Record<string, unknown>>[]): SchemaField[] {
  const seen = new Set<unknown>()
  const out: SchemaField[] = []
  const exported = new Map<unknown, string>()
  for (const mod of modules) for (const [name, value] of Object.entries(mod)) if (defOf(value) && !exported.has(value)) exported.set(value, name)
  const walk = (schema: unknown, at: string) => {
    const def = defOf(schema)
    if (!def || seen.has(schema)) return
    seen.add(schema)
    const path = exported.get(schema) ?? at
    switch (def.type) {
      case 'object': {
        const shape = def.shape as Record<string, z.ZodType>
        for (const [field, inner] of Object.entries(shape)) {
          out.push({ key: `${path}.${field}`, field, object: path, schema: inner, siblings: Object.keys(shape) })
          walk(inner, `${path}.${field}`)
        }
        return
      }
      case 'optional': case 'nullable': case 'default': case 'prefault': case 'readonly': case 'catch': case 'nonoptional':
        return walk(def.innerType, path)
      case 'pipe': walk(def.in, path); return walk(def.out, path)
      case 'union': (def.options as unknown[]).forEach((o) => walk(o, path)); return
      case 'intersection': walk(def.left, path); return walk(def.right, path)
      case 'array': return walk(def.element, `${path}[]`)
      case 'record': return walk(def.valueType, `${path}{}`)
      case 'lazy': return walk((def.getter as () => unknown)(), path)
      case 'tuple': (def.items as unknown[]).forEach((o, i) => walk(o, `${path}[${i}]`)); return
      default:
        return
    }
  }
  for (const [value, name] of exported) walk(value, name)
  return out
}
