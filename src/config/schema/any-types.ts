/**
 * `google.protobuf.Any` payloads edgevoy understands, by `@type`: what the
 * protobuf-JSON pass (../proto-json.ts) follows into `typed_config`.
 */
import type { z } from 'zod'
import type { ProtoJsonSchemas } from '../proto-json.js'
import { bootstrap } from './bootstrap.js'
import { HTTP_FILTER_SCHEMAS, HTTP_FILTER_TYPE_NAMES, knownFilterName } from './filters/index.js'
import { HCM_TYPES, httpConnectionManager } from './listener.js'

function anyType(typeUrl: string): z.ZodType | undefined {
  if ((HCM_TYPES as readonly string[]).includes(typeUrl)) return httpConnectionManager
  const filter = HTTP_FILTER_TYPE_NAMES[typeUrl]
  return filter ? HTTP_FILTER_SCHEMAS[filter]!.config : undefined
}

export const PROTO_JSON_SCHEMAS: ProtoJsonSchemas = {
  root: bootstrap,
  anyTypes: anyType,
  perFilter: (name) => {
    const known = knownFilterName(name, undefined)
    return known ? HTTP_FILTER_SCHEMAS[known]!.perRoute : undefined
  },
}
