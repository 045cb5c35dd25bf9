/**
 * `edgevoy` — the command line, in the style of Envoy's own (`envoy -c FILE`,
 * `--mode validate`): one subcommand per job, each with `--help`.
 * Every command returns its exit code; long-running ones resolve when stopped.
 */

export const USAGE = `edgevoy — an Envoy-compatible front proxy on Cloudflare Workers

Usage:
  edgevoy validate -c FILE [--target cloudflare|local]   check a config, print a summary
  edgevoy dev -c FILE [--port N] [--listener NAME]        serve one listener locally (Miniflare)
  edgevoy start [--mesh routes/mesh.yaml] [--replicas N]  run the article's whole mesh locally
  edgevoy push -c FILE --url URL --token T               validate, then replace a running edgevoy's config
  edgevoy pull --url URL --token T [-o FILE]             fetch a running edgevoy's config as YAML
  edgevoy build -c FILE [--listener NAME] [--out PATH]   validate and write the serialized snapshot
  edgevoy deploy -c FILE [--listener NAME] [--dry-run]   build, then \`wrangler deploy\` it as the base config
  edgevoy k8s-sync --url URL --token T --node NAME       feed Kubernetes pod endpoints into node configs
  edgevoy schema [-o FILE]                               a JSON Schema of the config, for editors
  edgevoy --version                                      print edgevoy's version

Run \`edgevoy <command> --help\` for a command's options.
`

/** Loaded on use: `validate` should not pay for loading Miniflare. */
const COMMANDS: Record<string, () => Promise<(argv: string[]) => Promise<number>>> = {
  validate: async () => (await import('./validate.js')).runValidate,
  dev: async () => (await import('./dev.js')).runDev,
  start: async () => (await import('./start.js')).runStart,
  push: async () => (await import('./push.js')).runPush,
  pull: async () => (await import('./pull.js')).runPull,
  build: async () => (await import('./build.js')).runBuild,
  deploy: async () => (await import('./deploy.js')).runDeploy,
  'k8s-sync': async () => (await import('./k8s/sync.js')).runK8sSync,
  schema: async () => (await import('./schema.js')).runSchema,
}

export async function main(argv: readonly string[]): Promise<number> {
  const [command, ...rest] = argv
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    process.stdout.write(USAGE)
    return command === undefined ? 1 : 0
  }
  if (command === '--version' || command === '-v' || command === 'version') {
    process.stdout.write(`${(await import('./version.js')).edgevoyVersion()}\n`)
    return 0
  }
  const load = COMMANDS[command]
  if (!load) {
    process.stderr.write(`edgevoy: unknown command "${command}"\n\n${USAGE}`)
    return 1
  }
  try {
    return await (await load())(rest)
  } catch (e) {
    // Usage errors (bad flags) and unexpected failures both end here: one line, exit 1.
    process.stderr.write(`edgevoy ${command}: ${e instanceof Error ? e.message : String(e)}\n`)
    if (process.env.EDGEVOY_DEBUG && e instanceof Error) process.stderr.write(`${e.stack}\n`)
    return 1
  }
}
