/** Build small Envoy v3 configs in tests (test/support/envoy-config.ts), and compile them as the Worker does. */
import { compileConfig } from '../../src/compile/index'
import type { Snapshot } from '../../src/compile/types'
import { formatIssue } from '../../src/config/issues'
import { loadConfig, validateConfig } from '../../src/config/load'

export { anyHost, bootstrap, cluster, HCM, listener, ROUTER, type TestConfig } from './envoy-config'

export function compileJson(doc: unknown, version = 'test'): Snapshot {
  const r = validateConfig(doc)
  if (!r.ok) throw new Error(r.errors.map((e) => formatIssue(e)).join('\n'))
  return compileConfig(r.config, { version })
}

export function compileYaml(text: string, version = 'test'): Snapshot {
  const r = loadConfig(text)
  if (!r.ok) throw new Error(r.errors.map((e) => formatIssue(e)).join('\n'))
  return compileConfig(r.config, { version })
}
