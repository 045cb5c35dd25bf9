import { cloudflareTest } from '@cloudflare/vitest-pool-workers'
import { defineConfig } from 'vitest/config'
import type { Plugin } from 'vite'
import { readFileSync } from 'node:fs'

/** Envoy configs are imported as text, as wrangler's `Text` module rule does for the deploy. */
const yamlAsText = (): Plugin => ({
  name: 'edgevoy-yaml-text',
  enforce: 'pre',
  load(id) {
    if (/\.ya?ml$/.test(id)) return `export default ${JSON.stringify(readFileSync(id, 'utf8'))}`
  },
})

export default defineConfig({
  test: {
    reporters: ['default'],
    projects: [
      {
        // Worker code inside workerd: routing, forwarding, admin, state with real KV and DOs.
        plugins: [
          yamlAsText(),
          cloudflareTest({
            main: './src/index.ts',
            wrangler: { configPath: './wrangler.toml' },
          }),
        ],
        test: {
          name: 'workers',
          include: ['test/workers/**/*.test.ts'],
          globalSetup: ['./test/support/global-setup.ts'],
          setupFiles: ['./test/workers/setup/control-plane-warm.ts', './test/workers/setup/filters-loaded.ts'],
        },
      },
      {
        // Processes: the CLI, Miniflare-served listeners, the local mesh.
        plugins: [yamlAsText()],
        test: {
          name: 'node',
          environment: 'node',
          include: ['test/node/**/*.test.ts'],
          globalSetup: ['./test/support/global-setup.ts'],
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
    ],
  },
})
