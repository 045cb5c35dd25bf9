/**
 * The doc test (issue 15): every shell block of README.md and docs/*.md a
 * user may run is either run here, as written, or tagged with why not — so
 * the docs cannot drift from the code. How blocks are tagged and checked:
 * test/support/doc-blocks.ts.
 *
 * Each page's `doctest` blocks run in order in one bash, in a scratch
 * directory that looks like a fresh clone (the repo's files linked in), with
 * ADMIN_TOKEN set. `npx edgevoy …` runs this checkout's CLI, `npm install`
 * is skipped (node_modules is there), `npm start` runs `edgevoy start`.
 * Servers a page starts (`npm start`, `npx edgevoy dev`, `node … &`) are
 * stopped with Ctrl-C when the page ends. Pages run one at a time, holding
 * the fixed-ports lock (the docs use the mesh's ports, like a user would).
 *
 * Run it alone: `flock /tmp/edgevoy-mesh.lock npx vitest run test/node/docs.test.ts`
 * (one page: add `-t docs/admin-api.md`).
 */
import { spawn } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { blockCommands, docBlocks, serverCommand, type DocBlock, type DocCommand } from '../support/doc-blocks'
import { acquireFixedPorts, type HeldLock } from '../support/port-lock'
import { ROOT } from './cli-process'

const PAGES = ['README.md', ...readdirSync(join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).sort().map((f) => `docs/${f}`)]
const blocksOf = (page: string) => docBlocks(page, readFileSync(join(ROOT, page), 'utf8'))
const PAGE_TIMEOUT_MS = 240_000
const TOKEN = 'doc-test-token'

/** A scratch directory that looks like a fresh clone: every top-level entry of the repo linked in. */
function scratchClone(): string {
  const dir = mkdtempSync(join(tmpdir(), 'edgevoy-docs-'))
  for (const entry of readdirSync(ROOT)) {
    if (entry === '.git' || entry === '.edgevoy' || entry === '.dev.vars' || entry === '.wrangler') continue
    symlinkSync(join(ROOT, entry), join(dir, entry))
  }
  return dir
}

const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`

const PRELUDE = (out: string) => `
set -o pipefail
D=${quote(out)}
export ADMIN_TOKEN=${TOKEN} EDGEVOY_ROOT=${quote(ROOT)} WRANGLER_SEND_METRICS=false CLOUDFLARE_CF_FETCH_ENABLED=false
npx() { if [ "$1" = edgevoy ]; then shift; node "$EDGEVOY_ROOT/bin/edgevoy.mjs" "$@"; else echo "doc test: npx $1 is not run here; tag the block notest" >&2; return 127; fi; }
npm() {
  case "$1" in
    install|ci) echo "(doc test: npm $1 skipped, node_modules is installed)" ;;
    start) shift; [ "$1" = "--" ] && shift; node "$EDGEVOY_ROOT/bin/edgevoy.mjs" start "$@" ;;
    *) echo "doc test: npm $* is not run here; tag the block notest" >&2; return 127 ;;
  esac
}
curl() { command curl -w '%{stderr}@@HTTP %{http_code}\\n' "$@"; }
export -f npx npm curl
# A server: its own process group (stopped as a whole by Ctrl-C at the end), waited for until it serves.
__serve() {
  setsid bash -c "$2" >"$D/$1.out" 2>&1 </dev/null &
  local pid=$!
  echo $pid >>"$D/pids"
  for _ in $(seq 1 1200); do
    grep -Eq "$3" "$D/$1.out" && return 0
    kill -0 $pid 2>/dev/null || return 1
    sleep 0.1
  done
  return 1
}
# A background helper (\`node mesh/service.mjs … &\`): waited for until it prints its first line.
__bg() {
  setsid bash -c "$2" >"$D/$1.out" 2>&1 </dev/null &
  local pid=$!
  echo $pid >>"$D/pids"
  for _ in $(seq 1 100); do [ -s "$D/$1.out" ] && return 0; kill -0 $pid 2>/dev/null || return 1; sleep 0.1; done
  return 1
}
__stop() {
  [ -f "$D/pids" ] || return 0
  for p in $(cat "$D/pids"); do kill -INT -- -$p 2>/dev/null; done
  for p in $(cat "$D/pids"); do
    for _ in $(seq 1 150); do kill -0 -- -$p 2>/dev/null || break; sleep 0.1; done
    kill -KILL -- -$p 2>/dev/null
  done
}
trap __stop EXIT
`

interface Numbered extends DocCommand {
  readonly n: number
  readonly block: DocBlock
  readonly server: boolean
}

function script(commands: readonly Numbered[], out: string, work: string): string {
  const lines = [PRELUDE(out), `cd ${quote(work)}`]
  for (const c of commands) {
    const server = serverCommand(c.text)
    const bg = /&\s*$/.test(c.text) && !/&&\s*$/.test(c.text)
    if (server) lines.push(`__serve ${c.n} ${quote(c.text)} ${quote(server.ready.source)}; echo "${c.n} $?" >>"$D/status"`)
    else if (bg) lines.push(`__bg ${c.n} ${quote(c.text.replace(/&\s*$/, ''))}; echo "${c.n} $?" >>"$D/status"`)
    else lines.push(`{ ${c.text}\n} >"$D/${c.n}.out" 2>"$D/${c.n}.err" </dev/null; echo "${c.n} $?" >>"$D/status"`)
  }
  return `${lines.join('\n')}\n`
}

/** What is wrong with one command's run, or undefined. */
function verdict(c: Numbered, status: number | undefined, out: string, err: string): string | undefined {
  if (status === undefined) return 'did not run'
  const allowedExit = /\bexit (\d+)\b/.exec(c.comment)
  if (status !== 0 && String(status) !== allowedExit?.[1]) return c.server ? `did not start serving (exit ${status})` : `exited ${status}`
  if (/Couldn't read data from file|curl: \(26\)/.test(err)) return 'posts a file that does not exist'
  for (const [, code] of err.matchAll(/@@HTTP (\d{3})/g)) {
    if (Number(code) >= 400 && !new RegExp(`\\b${code}\\b`).test(c.comment)) return `answered HTTP ${code}, which its text does not say`
  }
  const arrow = c.comment.indexOf('→')
  for (const [, want] of arrow < 0 ? [] : c.comment.slice(arrow).matchAll(/`([^`]+)`/g)) if (!out.includes(want!)) return `output lacks ${want}`
  return undefined
}

async function runPage(page: string): Promise<string[]> {
  const commands: Numbered[] = []
  for (const block of blocksOf(page).filter((b) => b.mode === 'run')) {
    for (const c of blockCommands(block)) commands.push({ ...c, n: commands.length + 1, block, server: !!serverCommand(c.text) })
  }
  const work = scratchClone()
  const out = join(work, '.doc-test')
  mkdirSync(out)
  writeFileSync(join(out, 'run.sh'), script(commands, out, work))
  const child = spawn('bash', [join(out, 'run.sh')], { cwd: work, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ADMIN_TOKEN: TOKEN } })
  let stray = ''
  child.stdout.on('data', (d) => (stray += d))
  child.stderr.on('data', (d) => (stray += d))
  const timer = setTimeout(() => child.kill('SIGINT'), PAGE_TIMEOUT_MS)
  await new Promise((r) => child.once('exit', r))
  clearTimeout(timer)
  const read = (f: string) => (existsSync(join(out, f)) ? readFileSync(join(out, f), 'utf8') : '')
  const statuses = new Map(read('status').split('\n').filter(Boolean).map((l) => l.split(' ').map(Number) as [number, number]))
  const failures: string[] = []
  for (const c of commands) {
    const o = read(`${c.n}.out`)
    const e = read(`${c.n}.err`)
    const problem = verdict(c, statuses.get(c.n), o, e)
    if (!problem) continue
    const shown = `${o}${e.replace(/^@@HTTP \d+\n?/gm, '')}`.trim().split('\n').slice(-15).join('\n')
    failures.push(`${page}:${c.line}: ${problem}\n  $ ${c.text}${c.comment ? `   # ${c.comment}` : ''}\n${shown.replace(/^/gm, '  | ')}`)
  }
  if (failures.length && stray.trim()) failures.push(`(script output)\n${stray.trim()}`)
  return failures
}

describe('docs: every shell block is run, or says why not', () => {
  it('every sh/bash/shell/console block is tagged `doctest` or `notest: REASON`', () => {
    const untagged = PAGES.flatMap((p) => blocksOf(p).filter((b) => b.mode === 'untagged').map((b) => `${p}:${b.line}: \`\`\`${b.lang} block without "doctest" or "notest: REASON"`))
    expect(untagged).toEqual([])
  })

  it('the tagging and checking rules catch what they promise', () => {
    const [block] = docBlocks('x.md', ['```sh doctest', 'curl -s -X DELETE $URL/x \\', '  -H a   # 409 naming the routes', '# → `"code"`', "echo '{", "}'", '```'].join('\n'))
    const commands = blockCommands(block!)
    expect(commands.map((c) => [c.line, c.text, c.comment])).toEqual([
      [2, 'curl -s -X DELETE $URL/x -H a', '409 naming the routes → `"code"`'],
      [5, "echo '{\n}'", ''],
    ])
    const c = { ...commands[0]!, n: 1, block: block!, server: false }
    expect(verdict(c, 0, '{"code":1}', '@@HTTP 409\n')).toBeUndefined()
    expect(verdict(c, 0, '{"code":1}', '@@HTTP 200\n')).toBeUndefined()
    expect(verdict({ ...c, comment: '' }, 0, '', '@@HTTP 404\n')).toMatch(/HTTP 404/)
    expect(verdict(c, 0, '', '@@HTTP 409\n')).toMatch(/lacks "code"/)
    expect(verdict(c, 0, '{"code":1}', "Warning: Couldn't read data from file \"new.yaml\"")).toMatch(/does not exist/)
    expect(verdict(c, 7, '', '')).toMatch(/exited 7/)
    expect(docBlocks('y.md', '```sh notest: needs a Cloudflare account\nnpx wrangler deploy\n```')[0]).toMatchObject({ mode: 'skip', reason: 'needs a Cloudflare account' })
  })

  describe('pages', () => {
    let lock: HeldLock | undefined
    beforeAll(async () => {
      lock = await acquireFixedPorts(ROOT)
    }, 600_000)
    afterAll(async () => {
      await lock?.release()
    })
    for (const page of PAGES.filter((p) => blocksOf(p).some((b) => b.mode === 'run'))) {
      it(page, async () => {
        const failures = await runPage(page)
        expect(failures, failures.join('\n\n')).toEqual([])
      }, PAGE_TIMEOUT_MS + 30_000)
    }
  })
})
