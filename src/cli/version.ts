/** `edgevoy --version`: the package's version, with the runtime it runs on. */
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

export function edgevoyVersion(): string {
  const { version } = JSON.parse(readFileSync(fileURLToPath(new URL('../../package.json', import.meta.url)), 'utf8')) as { version: string }
  return `edgevoy ${version} (node ${process.versions.node})`
}
