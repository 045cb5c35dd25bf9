// bench/zod-classic.ts's schema in zod/mini.
import { z } from 'zod/mini'

export const schema = z.object({
  name: z.string().check(z.minLength(1)),
  port: z.optional(z.int()),
  kind: z.enum(['a', 'b']),
  tags: z.optional(z.array(z.string())),
  nested: z.optional(z.union([z.object({ x: z.string() }), z.object({ y: z.number() })])),
  extra: z.optional(z.record(z.string(), z.unknown())),
}).check(z.refine((v) => v.name !== 'x', 'no'))
export default { fetch: (r: Request) => new Response(JSON.stringify(schema.safeParse(r.url).success)) }
