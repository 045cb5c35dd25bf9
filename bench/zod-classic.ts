// The same small schema in classic zod and in zod/mini (bench/zod-mini.ts): the difference in bundle size is what a port to zod/mini saves in library code.
import { z } from 'zod'

export const schema = z.object({
  name: z.string().min(1),
  port: z.number().int().optional(),
  kind: z.enum(['a', 'b']),
  tags: z.array(z.string()).optional(),
  nested: z.union([z.object({ x: z.string() }), z.object({ y: z.number() })]).optional(),
  extra: z.record(z.string(), z.unknown()).optional(),
}).superRefine((v, ctx) => {
  if (v.name === 'x') ctx.addIssue({ code: 'custom', message: 'no' })
})
export default { fetch: (r: Request) => new Response(JSON.stringify(schema.safeParse(r.url).success)) }
