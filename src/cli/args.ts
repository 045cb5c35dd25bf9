/**
 * Flag parsing shared by the subcommands: node:util's parseArgs (strict, so a
 * typo'd flag is an error, not ignored), plus the value syntaxes edgevoy adds.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util'

export type Options = NonNullable<ParseArgsConfig['options']>

/** Thrown for bad usage; main() prints it as one line and exits 1. */
export class UsageError extends Error {
  override name = 'UsageError'
}

/** parseArgs with `--help`/`-h` always accepted, and its errors turned into UsageError. */
export function parseFlags<O extends Options>(argv: string[], options: O) {
  try {
    return parseArgs({ args: argv, options: { ...options, help: { type: 'boolean', short: 'h' } }, strict: true, allowPositionals: false })
  } catch (e) {
    throw new UsageError(e instanceof Error ? e.message : String(e))
  }
}

export function parsePort(value: string | undefined, flag: string, fallback: number): number {
  if (value === undefined) return fallback
  const port = Number(value)
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new UsageError(`${flag} must be a port number (1-65535), got "${value}"`)
  return port
}

/**
 * `--resolve host=ip[:port],host=ip[:port]` → EDGEVOY_RESOLVE's shape. A host
 * named twice gets several addresses, as a STRICT_DNS name resolving to
 * several A records becomes several hosts of its cluster.
 */
export function parseResolve(values: readonly string[]): Record<string, string[]> {
  const out: Record<string, string[]> = {}
  for (const item of values.flatMap((v) => v.split(',')).map((v) => v.trim()).filter(Boolean)) {
    const eq = item.indexOf('=')
    const host = item.slice(0, eq).trim()
    const address = item.slice(eq + 1).trim()
    if (eq <= 0 || !address) throw new UsageError(`--resolve expects host=ip[:port], got "${item}"`)
    ;(out[host] ??= []).push(address)
  }
  return out
}

/**
 * `--replicas 2` (every service) or `--replicas a=2,service_b=3` (by service
 * name, or its short name without the `service_` prefix).
 */
export function parseReplicas(values: readonly string[]): { all?: number; byService: Record<string, number> } {
  const result: { all?: number; byService: Record<string, number> } = { byService: {} }
  for (const item of values.flatMap((v) => v.split(',')).map((v) => v.trim()).filter(Boolean)) {
    const eq = item.indexOf('=')
    const count = Number(eq < 0 ? item : item.slice(eq + 1))
    if (!Number.isInteger(count) || count < 1 || count > 9) throw new UsageError(`--replicas expects N or service=N with N in 1..9, got "${item}"`)
    if (eq < 0) result.all = count
    else result.byService[item.slice(0, eq).trim()] = count
  }
  return result
}

/** The help text of a subcommand, printed for `--help`. */
export function printHelp(text: string): number {
  process.stdout.write(text.endsWith('\n') ? text : `${text}\n`)
  return 0
}
