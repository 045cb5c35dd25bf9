/**
 * "Did you mean" for config errors: an unknown enum value or field name is
 * usually a typo of a real one (`ROUND_ROBBIN`, `prefx`), and naming the
 * intended spelling saves a trip to the Envoy docs.
 */

/** The closest candidate by edit distance (Damerau–Levenshtein, case-insensitive), or undefined if none is close (distance ≤ max(1, floor(len/3))). */
export function didYouMean(input: string, candidates: readonly string[]): string | undefined {
  const needle = input.toLowerCase()
  const limit = Math.max(1, Math.floor(input.length / 3))
  let best: string | undefined
  let bestDistance = limit + 1
  for (const candidate of candidates) {
    // Lengths alone bound the distance from below; skip hopeless candidates cheaply.
    if (Math.abs(candidate.length - input.length) >= bestDistance) continue
    const d = editDistance(needle, candidate.toLowerCase(), bestDistance)
    if (d < bestDistance) {
      best = candidate
      bestDistance = d
    }
  }
  return best
}

/**
 * Optimal-string-alignment distance (Damerau–Levenshtein where each substring
 * is edited at most once): insertions, deletions, substitutions and swaps of
 * two adjacent characters all cost 1. Stops early once every cell in a row
 * reaches `cutoff`, since the result can only be ≥ cutoff from there.
 */
export function editDistance(a: string, b: string, cutoff = Infinity): number {
  const s = [...a]
  const t = [...b]
  let prev2: number[] = []
  let prev = Array.from({ length: t.length + 1 }, (_, j) => j)
  for (let i = 1; i <= s.length; i++) {
    const row = [i]
    let rowMin = i
    for (let j = 1; j <= t.length; j++) {
      const cost = s[i - 1] === t[j - 1] ? 0 : 1
      let d = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + cost)
      if (i > 1 && j > 1 && s[i - 1] === t[j - 2] && s[i - 2] === t[j - 1]) d = Math.min(d, prev2[j - 2]! + 1)
      row.push(d)
      rowMin = Math.min(rowMin, d)
    }
    if (rowMin >= cutoff) return rowMin
    prev2 = prev
    prev = row
  }
  return prev[t.length]!
}
