/**
 * Rewrites the generated files under deploy/ from routes/ (see
 * src/cli/k8s/manifests.ts). Run: npx tsx deploy/generate.ts
 */
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { generateManifests } from '../src/cli/k8s/manifests.js'

const root = fileURLToPath(new URL('..', import.meta.url))
for (const [path, text] of generateManifests(root)) {
  writeFileSync(join(root, path), text)
  process.stdout.write(`wrote ${path}\n`)
}
