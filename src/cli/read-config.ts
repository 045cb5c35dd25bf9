/**
 * Read, validate and compile one Envoy config file — the first step of every
 * command. Errors come back formatted (`file:line:col: error: path: message`),
 * all of them, so the caller prints and exits 1.
 */
import { readFileSync } from 'node:fs'
import { loadConfig } from '../config/load.js'
import { formatIssue, type ConfigIssue } from '../config/issues.js'
import { compileConfig } from '../compile/index.js'
import type { Snapshot } from '../compile/types.js'

export type ReadResult =
  | { ok: true; file: string; text: string; snapshot: Snapshot; warnings: readonly ConfigIssue[]; /** The validated config's v3 JSON form. */ json: unknown }
  | { ok: false; file: string; errors: string[]; issues: readonly ConfigIssue[] }

export function readConfig(file: string, resolve?: Record<string, string[]>): ReadResult {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (e) {
    const reason = (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : e instanceof Error ? e.message : String(e)
    return { ok: false, file, errors: [`${file}: error: cannot read config: ${reason}`], issues: [{ severity: 'error', code: 'unreadable', path: [], message: `cannot read config: ${reason}` }] }
  }
  const loaded = loadConfig(text, { filename: file })
  if (!loaded.ok || !loaded.config) {
    const errors = loaded.errors.map((issue) => formatIssue(issue, file))
    const issues: ConfigIssue[] = loaded.errors.length ? [...loaded.errors] : [{ severity: 'error', code: 'invalid_config', path: [], message: 'invalid config' }]
    return { ok: false, file, errors: errors.length ? errors : [`${file}: error: invalid config`], issues }
  }
  try {
    const snapshot = compileConfig(loaded.config, resolve ? { resolve } : {})
    return { ok: true, file, text, snapshot, warnings: loaded.warnings, json: loaded.config.json }
  } catch (e) {
    // compile is meant to accept anything load accepted; say so plainly if it does not.
    const message = `cannot compile config: ${e instanceof Error ? e.message : String(e)}`
    return { ok: false, file, errors: [`${file}: error: ${message}`], issues: [{ severity: 'error', code: 'compile_failed', path: [], message }] }
  }
}

/** Print a failed read's errors to stderr with a count; returns exit code 1. */
export function reportErrors(result: Extract<ReadResult, { ok: false }>): number {
  for (const line of result.errors) process.stderr.write(`${line}\n`)
  const n = result.errors.length
  process.stderr.write(`${result.file}: ${n} error${n === 1 ? '' : 's'}, config rejected\n`)
  return 1
}
