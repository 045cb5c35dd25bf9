/** Envoy configs are bundled as text (wrangler `Text` rule; vitest and the CLI do the same). */
declare module '*.yaml' {
  const text: string
  export default text
}

/** The Worker's bindings and vars. */
interface EdgevoyEnv {
  /** Envoy config text (YAML or JSON) overriding the bundled routes/ config (used by `edgevoy dev`). */
  EDGEVOY_CONFIG?: string
  /** Listener of the config this Worker serves; default the only (or first) one. */
  EDGEVOY_LISTENER?: string
  /** JSON hostname → ["ip[:port]", …]: a local stand-in for DNS (STRICT_DNS: one host per address). */
  EDGEVOY_RESOLVE?: string
  /** "1": log one line per request. */
  EDGEVOY_LOG_REQUESTS?: string
  [binding: string]: unknown
}
