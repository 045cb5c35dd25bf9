/**
 * Envoy reads YAML by turning it into JSON and handing that to protobuf's JSON
 * parser, with `allow_legacy_syntax` on (protobuf `src/google/protobuf/json/json.cc`,
 * `JsonStringToMessage`). Two of that parser's rules change what a valid
 * config looks like, and real configs rely on both:
 *
 *  - a single element where a list is expected is a one-element list
 *    (`json/internal/parser.cc` `ParseField`: "The original ESF parser permits a
 *    single element in place of an array thereof") — `domains: "*"`,
 *    `thresholds: {…}`, `access_log: {…}`, `clusters: {…}`;
 *  - a field may be written by its proto name or by its lowerCamelCase
 *    `json_name` (`remoteJwks` for `remote_jwks`);
 *  - a field written with no value (`null`) is unset (protobuf's JSON mapping).
 *
 * This pass rewrites both into the canonical v3 form, guided by the schemas
 * themselves (so a list is wrapped only where the schema has a list, and a
 * map's keys — cluster names, header names, provider names — are never
 * renamed), and records every move so errors still point into the user's text.
 * `google.protobuf.Any` values (`typed_config`) are followed by their `@type`,
 * as protobuf does.
 */
import type { z } from 'zod'

type Json = Record<string, unknown>
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v)

/** What the walk tells normalize, so error paths are mapped back to the source. */
export interface MoveRecorder {
  /** `node` now lives elsewhere; in the source it was under `parent` at `key`. */
  movedFrom(node: unknown, parent: object, key: string | number): void
  rewrote(what: string): void
}

export interface ProtoJsonSchemas {
  /** The root message. */
  readonly root: z.ZodType
  /** `google.protobuf.Any` payloads by `@type`. */
  readonly anyTypes: (typeUrl: string) => z.ZodType | undefined
  /** `typed_per_filter_config[name]` payloads without an `@type` the registry knows, by filter name. */
  readonly perFilter?: (filterName: string) => z.ZodType | undefined
}

interface Def {
  type: string
  shape?: Record<string, z.ZodType>
  element?: z.ZodType
  innerType?: z.ZodType
  in?: z.ZodType
  out?: z.ZodType
  options?: z.ZodType[]
  valueType?: z.ZodType
  getter?: () => z.ZodType
}

const defOf = (s: z.ZodType): Def => (s as unknown as { _zod: { def: Def } })._zod.def

/** The schema that decides the shape of the input: wrappers, pipes' input sides and lazies peeled off. */
function unwrap(schema: z.ZodType): z.ZodType {
  let s = schema
  for (let i = 0; i < 32; i++) {
    const d = defOf(s)
    if (d.type === 'optional' || d.type === 'default' || d.type === 'nullable' || d.type === 'catch' || d.type === 'readonly' || d.type === 'prefault' || d.type === 'nonoptional') s = d.innerType!
    else if (d.type === 'pipe') s = defOf(d.in!).type === 'transform' ? d.out! : d.in!
    else if (d.type === 'lazy') s = d.getter!()
    else return s
  }
  return s
}

const isList = (schema: z.ZodType): boolean => defOf(unwrap(schema)).type === 'array'

/** `remoteJwks` → `remote_jwks`. */
export const snakeCase = (key: string): string => key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)

/** The object option of a union that best fits `value` (most of its keys known). */
function pickObjectOption(options: readonly z.ZodType[], value: Json): z.ZodType | undefined {
  let best: z.ZodType | undefined
  let bestScore = -1
  for (const option of options) {
    const s = unwrap(option)
    const d = defOf(s)
    if (d.type !== 'object') continue
    const keys = Object.keys(d.shape!)
    const score = Object.keys(value).filter((k) => keys.includes(k) || keys.includes(snakeCase(k))).length
    if (score > bestScore) {
      best = s
      bestScore = score
    }
  }
  return best
}

export function canonicalizeProtoJson(doc: unknown, schemas: ProtoJsonSchemas, moves: MoveRecorder): void {
  const seen = new Set<object>()

  const walk = (value: unknown, schema: z.ZodType | undefined, fieldName?: string): void => {
    if (schema === undefined || typeof value !== 'object' || value === null || seen.has(value)) return
    seen.add(value)
    if (isObject(value) && typeof value['@type'] === 'string') {
      const any = schemas.anyTypes(value['@type'])
      if (any) schema = any
    }
    const s = unwrap(schema)
    const d = defOf(s)
    if (d.type === 'object' && isObject(value)) return object(value, d.shape!)
    if (d.type === 'array' && Array.isArray(value)) return value.forEach((v) => walk(v, d.element))
    if (d.type === 'union' && isObject(value)) return walk(value, pickObjectOption(d.options!, value))
    if (d.type === 'union' && Array.isArray(value)) {
      const list = d.options!.find((o) => isList(o))
      return list ? walk(value, list) : undefined
    }
    if (d.type === 'record' && isObject(value)) {
      for (const [k, v] of Object.entries(value)) {
        const perFilter = fieldName === 'typed_per_filter_config' ? schemas.perFilter?.(k) : undefined
        walk(v, perFilter ?? d.valueType)
      }
    }
  }

  const object = (value: Json, shape: Record<string, z.ZodType>): void => {
    for (const key of Object.keys(value)) {
      if (key in shape || !/[A-Z]/.test(key)) continue
      const snake = snakeCase(key)
      if (!(snake in shape) || snake in value) continue
      value[snake] = value[key]
      moves.movedFrom(value[snake], value, key)
      delete value[key]
      moves.rewrote(`${key} → ${snake} (protobuf JSON name)`)
    }
    for (const key of Object.keys(value)) {
      const field = shape[key]
      if (field === undefined) continue
      let v = value[key]
      // "null is accepted for all field types and treated as the default value of the
      // corresponding field type" (protobuf's JSON mapping): `field:` with no value is unset.
      if (v === null) {
        delete value[key]
        continue
      }
      if (v !== undefined && v !== null && !Array.isArray(v) && isList(field)) {
        const list = [v]
        value[key] = list
        moves.movedFrom(list, value, key)
        moves.movedFrom(v, value, key)
        moves.rewrote(`${key}: a single value → a list of one (protobuf JSON legacy syntax)`)
        v = list
      }
      walk(v, field, key)
    }
  }

  walk(doc, schemas.root)
}
