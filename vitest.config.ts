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
          // One workerd for the whole project, its module cache shared by every file: with
          // vitest's default per-file isolation each of ~80 files started its own Miniflare and
          // re-imported the control plane and every filter (~4 s a file, 370 s of a 760 s run on
          // two cores; shared, the project takes ~75 s). So a workers test must not count on a
          // fresh isolate: module-level state (stats, cluster managers, lazy chunks) and KV/DO/D1
          // storage outlive the file — give each file its own names, stores and snapshots, as the
          // health and stream harnesses (test/workers/*-harness.ts) do. The fresh-isolate paths (a cold start, a
          // lazy chunk not yet loaded) are tested against the built Worker in test/node/.
          isolate: false,
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
