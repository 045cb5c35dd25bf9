/**
 * The shell blocks of README.md and docs/*.md, as the doc test
 * (test/node/docs.test.ts) runs them.
 *
 * Tagging (the fence's info string, after the language):
 *   ```sh doctest                 run by the doc test
 *   ```sh notest: REASON          not run; the reason says why (a Cloudflare account, kubectl…)
 * A sh/bash/shell/console block with neither tag fails the test: every shell
 * block a user may copy is either run or says why it is not.
 *
 * How a `doctest` block is checked, command by command (a command is a line,
 * with `\` continuations and multi-line quotes joined):
 *   - it must exit 0, unless its comment says `exit N`;
 *   - every HTTP answer curl gets must be < 400, unless its comment names that
 *     status (`# → 409 …`) — so a walkthrough step that "answers 409" fails
 *     when it answers 200, and one that 404s fails;
 *   - curl must not warn that a `--data-binary @FILE` does not exist;
 *   - `# → TEXT` with TEXT in backquotes (`# → \`"version":1\``): the output contains TEXT.
 * `npm start`, `npx edgevoy dev` and `npx edgevoy start` lines run in the
 * background until the page's last block ends (then Ctrl-C), and the next
 * command waits until they serve.
 */
import { readFileSync } from 'node:fs'

export const SHELL_LANGS = new Set(['sh', 'bash', 'shell', 'console', 'zsh'])

export interface DocCommand {
  readonly line: number
  /** The command as bash runs it (continuations joined, the trailing comment removed). */
  readonly text: string
  /** Its trailing comment and any `# …` lines right after it. */
  readonly comment: string
}

export interface DocBlock {
  readonly file: string
  readonly line: number
  readonly lang: string
  readonly mode: 'run' | 'skip' | 'untagged'
  readonly reason?: string
  readonly body: string
}

export function docBlocks(file: string, text = readFileSync(file, 'utf8')): DocBlock[] {
  const lines = text.split('\n')
  const blocks: DocBlock[] = []
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)(`{3,}|~{3,})\s*([\w-]*)\s*(.*)$/.exec(lines[i]!)
    if (!open) continue
    const fence = open[2]!
    const start = i
    let end = i + 1
    while (end < lines.length && !lines[end]!.trimStart().startsWith(fence)) end++
    i = end
    const lang = open[3]!.toLowerCase()
    if (!SHELL_LANGS.has(lang)) continue
    const info = open[4]!.trim()
    const skip = /^notest:\s*(\S.*)$/.exec(info)
    const mode = info === 'doctest' ? 'run' : skip ? 'skip' : 'untagged'
    blocks.push({ file, line: start + 1, lang, mode, ...(skip ? { reason: skip[1] } : {}), body: lines.slice(start + 1, end).join('\n') })
  }
  return blocks
}

/** Splits `cmd   # comment` at the first `#` outside quotes that starts a word. */
function splitComment(line: string): [string, string] {
  let quote: string | undefined
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!
    if (quote) {
      if (c === quote) quote = undefined
      else if (c === '\\' && quote === '"') i++
    } else if (c === "'" || c === '"') quote = c
    else if (c === '\\') i++
    else if (c === '#' && (i === 0 || /\s/.test(line[i - 1]!))) return [line.slice(0, i).trimEnd(), line.slice(i + 1).trim()]
  }
  return [line, '']
}

/** Whether `text` leaves a quote open (so the command continues on the next line). */
function openQuote(text: string): boolean {
  let quote: string | undefined
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!
    if (quote) {
      if (c === quote) quote = undefined
      else if (c === '\\' && quote === '"') i++
    } else if (c === "'" || c === '"') quote = c
    else if (c === '\\') i++
  }
  return quote !== undefined
}

export function blockCommands(block: DocBlock): DocCommand[] {
  const lines = block.body.split('\n')
  const commands: { line: number; text: string; comment: string }[] = []
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!
    if (!raw.trim()) continue
    if (raw.trimStart().startsWith('#')) {
      // A comment line right after a command is about that command (`# → 409 …`).
      const last = commands.at(-1)
      if (last && i > 0 && lines[i - 1]!.trim()) last.comment += ` ${raw.trim().replace(/^#\s*/, '')}`
      continue
    }
    const line = block.line + 1 + i
    let text = ''
    let comment = ''
    let j = i
    for (;;) {
      const current = lines[j]!
      if (openQuote(text)) {
        text += `\n${current}`
      } else {
        const [code, note] = splitComment(current)
        text += text ? ` ${code.trimStart()}` : code
        if (note) comment += (comment ? ' ' : '') + note
      }
      const continues = text.endsWith('\\') || openQuote(text)
      if (!continues || j + 1 >= lines.length) break
      if (text.endsWith('\\')) text = text.slice(0, -1).trimEnd()
      j++
    }
    i = j
    commands.push({ line, text: text.trim(), comment })
  }
  return commands
}

/** Commands that serve until stopped: run in the background, waited for until they serve. */
export function serverCommand(text: string): { ready: RegExp } | undefined {
  if (/&\s*$/.test(text)) return undefined
  if (/^(?:.*&&\s*)?npm start\b/.test(text) || /^npx edgevoy start\b/.test(text)) return { ready: /stop one hop:|cannot start|nothing started/ }
  if (/^npx edgevoy dev\b/.test(text)) return { ready: /serving on http|error|rejected/ }
  return undefined
}
