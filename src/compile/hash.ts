/**
 * A stable content hash of JSON-able data: key order does not matter.
 * Not cryptographic; it tells "same config" from "changed config" (Envoy
 * compares config hashes to make an identical update a no-op).
 */
export function hashJson(value: unknown): string {
  return cyrb53(stableStringify(value)).toString(36)
}

/**
 * JSON with every object's keys in sorted order, so key order does not change
 * the hash. The native JSON.stringify does the work; the replacer only swaps
 * in a key-sorted copy of objects whose keys are not already sorted.
 */
/**
 * Hash of text as it is. The snapshot hashes its config's JSON this way:
 * normalize copies keys in source order, so the same config text always gives
 * the same hash, and a 2 MB config is one native JSON.stringify away (a
 * key-sorting walk over it cost ~0.2 s).
 */
export function hashText(text: string): string {
  return cyrb53(text).toString(36)
}

export function stableStringify(value: unknown): string {
  return JSON.stringify(value, sortKeys) ?? 'null'
}

function sortKeys(_key: string, value: unknown): unknown {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return value
  const keys = Object.keys(value)
  let sorted = true
  for (let i = 1; i < keys.length && sorted; i++) if (keys[i - 1]! > keys[i]!) sorted = false
  if (sorted) return value
  const out: Record<string, unknown> = {}
  for (const k of keys.sort()) out[k] = (value as Record<string, unknown>)[k]
  return out
}

/** cyrb53 (public domain): a fast 53-bit string hash. */
function cyrb53(str: string, seed = 0): number {
  let h1 = 0xdeadbeef ^ seed
  let h2 = 0x41c6ce57 ^ seed
  for (let i = 0; i < str.length; i++) {
    const ch = str.charCodeAt(i)
    h1 = Math.imul(h1 ^ ch, 2654435761)
    h2 = Math.imul(h2 ^ ch, 1597334677)
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909)
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909)
  return 4294967296 * (2097151 & h2) + (h1 >>> 0)
}
