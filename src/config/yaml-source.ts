/**
 * Config text → value plus a way back from a config path to a line and
 * column, so schema errors read `envoy.yaml:12:7: error: ...`. JSON is parsed
 * by the same code (YAML 1.2 is a superset of JSON). Anchors, aliases and
 * `<<` merge keys resolve, since Envoy configs use them to share cluster and
 * route fragments; duplicate keys are errors rather than last-one-wins.
 *
 * Text that is JSON takes `JSON.parse` (about 100× faster than building the
 * YAML document of a 2 MB config); the positioned YAML document is then built
 * only if an issue needs a line number.
 */
import { isAlias, isMap, isNode, isPair, isScalar, isSeq, LineCounter, parseDocument } from 'yaml'
import type { Document, Node as YamlNode, Pair } from 'yaml'

export interface SourcePosition {
  /** 1-based. */
  line: number
  /** 1-based. */
  column: number
}

export interface SourceDoc {
  value: unknown
  /** Position of the node at `path` (the key, for a mapping entry), else of its deepest existing ancestor. */
  locate(path: readonly (string | number)[]): SourcePosition | undefined
  syntaxErrors: { message: string; line: number; column: number }[]
}

export function parseSource(text: string): SourceDoc {
  const value = parseJson(text)
  if (value === NOT_JSON) return parseYaml(text)
  let positioned: SourceDoc | undefined
  return { value, syntaxErrors: [], locate: (path) => (positioned ??= parseYaml(text)).locate(path) }
}

const NOT_JSON = Symbol('not JSON')

/** The value of JSON text, or NOT_JSON (then YAML decides: it reports syntax errors and duplicate keys). */
function parseJson(text: string): unknown {
  const first = text.match(/^\s*(.)/)?.[1]
  if (first !== '{' && first !== '[') return NOT_JSON
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    return NOT_JSON
  }
  // JSON.parse keeps the last of duplicate keys silently; YAML (uniqueKeys) reports them.
  return keysInText(text) === keysInValue(value) ? value : NOT_JSON
}

/** How many object keys valid JSON text writes (a string followed by ":"). */
function keysInText(s: string): number {
  let n = 0
  for (let i = 0; i < s.length; i++) {
    if (s.charCodeAt(i) !== 34) continue
    for (i++; i < s.length; i++) {
      const c = s.charCodeAt(i)
      if (c === 92) i++
      else if (c === 34) break
    }
    let j = i + 1
    for (let c = s.charCodeAt(j); c === 32 || c === 10 || c === 13 || c === 9; c = s.charCodeAt(++j));
    if (s.charCodeAt(j) === 58) n++
  }
  return n
}

function keysInValue(v: unknown): number {
  let n = 0
  if (Array.isArray(v)) for (const x of v) n += keysInValue(x)
  else if (v !== null && typeof v === 'object') for (const k of Object.keys(v)) n += 1 + keysInValue((v as Record<string, unknown>)[k])
  return n
}

function parseYaml(text: string): SourceDoc {
  const lineCounter = new LineCounter()
  const doc = parseDocument(text, { lineCounter, prettyErrors: true, uniqueKeys: true, merge: true })
  const at = (offset: number): SourcePosition => {
    const { line, col } = lineCounter.linePos(offset)
    return { line, column: col }
  }
  const syntaxErrors = doc.errors.map((e) => ({
    // prettyErrors appends " at line L, column C:" and a source excerpt; the caller prints its own location.
    message: e.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, ''),
    line: e.linePos?.[0].line ?? 1,
    column: e.linePos?.[0].col ?? 1,
  }))
  let value: unknown
  try {
    value = doc.toJS()
  } catch (e) {
    // e.g. too many alias expansions (yaml's guard against "billion laughs").
    syntaxErrors.push({ message: (e as Error).message, line: 1, column: 1 })
  }
  return {
    value,
    syntaxErrors,
    locate: (path) => {
      const offset = locateOffset(doc, path)
      return offset === undefined ? undefined : at(offset)
    },
  }
}

/** Walks the document's nodes along `path`, remembering the last position found. */
function locateOffset(doc: Document, path: readonly (string | number)[]): number | undefined {
  let node: unknown = doc.contents
  let found = startOf(node)
  for (const segment of path) {
    node = resolve(doc, node)
    let next: unknown
    let here: number | undefined
    if (isMap(node)) {
      const pair = findPair(doc, node.items as Pair[], segment, 0)
      if (pair) {
        next = pair.value
        here = startOf(pair.key) ?? startOf(pair.value)
      }
    } else if (isSeq(node) && typeof segment === 'number') {
      next = node.items[segment]
      here = startOf(next)
    }
    if (here === undefined) break
    found = here
    node = next
  }
  return found
}

/** A key in the map itself, else in the maps it merges with `<<` (own keys win, as in toJS). */
function findPair(doc: Document, items: Pair[], key: string | number, depth: number): Pair | undefined {
  const own = items.find((p) => !isMerge(p) && keyOf(p) === String(key))
  if (own || depth > 20) return own
  for (const merge of items.filter(isMerge)) {
    const sources = resolve(doc, merge.value)
    const maps = isSeq(sources) ? sources.items.map((s) => resolve(doc, s)) : [sources]
    for (const m of maps) {
      const hit = isMap(m) ? findPair(doc, m.items as Pair[], key, depth + 1) : undefined
      if (hit) return hit
    }
  }
  return undefined
}

const keyOf = (p: Pair): string | undefined => (isScalar(p.key) ? String(p.key.value) : undefined)
/** With `merge: true`, yaml marks a merge key by a Scalar whose value is a symbol, with source text `<<`. */
const isMerge = (p: unknown): p is Pair =>
  isPair(p) && isScalar(p.key) && (p.key.value === '<<' || (typeof p.key.value === 'symbol' && p.key.source === '<<'))

function resolve(doc: Document, node: unknown): unknown {
  return isAlias(node) ? node.resolve(doc) : node
}

function startOf(node: unknown): number | undefined {
  return isNode(node) ? (node as YamlNode).range?.[0] : undefined
}
