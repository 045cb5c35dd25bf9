import { build } from 'esbuild'
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { WORKER_BUILD_OPTIONS, ROOT } from '../src/cli/bundle.js'
import { entrySource, staticOutputs } from '../src/cli/worker-build.js'
import { buildBase } from '../bench/built.js'
import { cloudflareStub } from '../bench/bundle.js'
const cfg = process.argv[2] ?? 'routes/front-envoy.yaml'
const entryFile = join(ROOT, '.edgevoy/build/attr.ts')
mkdirSync(join(ROOT, '.edgevoy/build'), { recursive: true })
writeFileSync(entryFile, entrySource(buildBase(readFileSync(join(ROOT, cfg), 'utf8'))))
const r = await build({ ...WORKER_BUILD_OPTIONS, entryPoints: { index: entryFile }, outdir: '/tmp/hl14/out', splitting: true, write: true, metafile: true, external: [], plugins: [cloudflareStub], outExtension: { '.js': '.mjs' }, absWorkingDir: ROOT })
const mf = r.metafile!
const entryOut = Object.keys(mf.outputs).find((k) => k.endsWith('index.mjs'))!
const st = staticOutputs(mf, entryOut)
const by: Record<string, number> = {}
const files: [string, number][] = []
for (const o of st) for (const [f, i] of Object.entries(mf.outputs[o]!.inputs)) { files.push([f, i.bytesInOutput]); const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(f); const k = m ? m[1]! : f.split('/').slice(0, 3).join('/'); by[k] = (by[k] ?? 0) + i.bytesInOutput }
console.log('static outputs', [...st].map((o) => `${o} ${mf.outputs[o]!.bytes}`))
console.log(Object.entries(by).sort((a, b) => b[1] - a[1]).slice(0, 40).map(([k, v]) => `${(v / 1024).toFixed(1).padStart(7)} ${k}`).join('\n'))
if (process.argv[3]) console.log(files.sort((a, b) => b[1] - a[1]).slice(0, 80).map(([k, v]) => `${(v / 1024).toFixed(1).padStart(7)} ${k}`).join('\n'))
