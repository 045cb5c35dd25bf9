/** Freeze a snapshot all the way down, so no stage can patch it in place. */
export function deepFreeze<T>(value: T, seen = new WeakSet<object>()): T {
  if (value === null || typeof value !== 'object' || seen.has(value) || value instanceof RegExp) return value
  seen.add(value)
  if (value instanceof Map) {
    for (const v of value.values()) deepFreeze(v, seen)
    return value
  }
  for (const v of Object.values(value)) deepFreeze(v, seen)
  return Object.freeze(value)
}
