/**
 * The admin token for local runs, looked up as wrangler does for secrets:
 * the flag, then the environment, then `.dev.vars` (KEY=VALUE lines,
 * gitignored) in the current directory.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'

export function readDevVars(dir = process.cwd()): Record<string, string> {
  let text: string
  try {
    text = readFileSync(join(dir, '.dev.vars'), 'utf8')
  } catch {
    return {}
  }
  const vars: Record<string, string> = {}
  for (const line of text.split(/\r?\n/)) {
    const m = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*$/.exec(line)
    if (!m || line.trimStart().startsWith('#')) continue
    let value = m[2]!
    if (/^(["']).*\1$/.test(value)) value = value.slice(1, -1)
    vars[m[1]!] = value
  }
  return vars
}

export type TokenSource = 'flag' | 'env' | '.dev.vars'

export function findAdminToken(flag: string | undefined): { token: string; source: TokenSource } | undefined {
  if (flag) return { token: flag, source: 'flag' }
  if (process.env.ADMIN_TOKEN) return { token: process.env.ADMIN_TOKEN, source: 'env' }
  const fromFile = readDevVars().ADMIN_TOKEN
  return fromFile ? { token: fromFile, source: '.dev.vars' } : undefined
}
