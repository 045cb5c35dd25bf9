/**
 * Freeze a snapshot all the way down, so no stage can patch it in place.
 * An object is frozen before its children are visited, so "already frozen"
 * doubles as "already visited" (shared and cyclic references end there)
 * without a WeakSet lookup per node — the walk covers every object of a
 * 10,000-route snapshot. Maps cannot be frozen; their values are.
 */
export function deepFreeze<T>(value: T): T {
  if (value === null || typeof value !== 'object' || value instanceof RegExp || Object.isFrozen(value)) return value
  if (value instanceof Map) {
    for (const v of value.values()) deepFreeze(v)
    return value
  }
  Object.freeze(value)
  if (Array.isArray(value)) for (let i = 0; i < value.length; i++) deepFreeze(value[i])
  else for (const k of Object.keys(value)) deepFreeze((value as Record<string, unknown>)[k])
  return value
}
