/**
 * XXH64 (seed 0 unless given), the hash Envoy uses for ring hash, Maglev and
 * every `hash_policy` (`HashUtil::xxHash64`). BigInt keeps it short and exact;
 * it runs per ring entry at build time and a few times per request.
 * https://github.com/Cyan4973/xxHash/blob/dev/doc/xxhash_spec.md
 */
const M = (1n << 64n) - 1n
const P1 = 11400714785074694791n
const P2 = 14029467366897019727n
const P3 = 1609587929392839161n
const P4 = 9650029242287828579n
const P5 = 2870177450012600261n

const encoder = new TextEncoder()

const rotl = (x: bigint, r: bigint): bigint => ((x << r) | (x >> (64n - r))) & M
const mul = (a: bigint, b: bigint): bigint => (a * b) & M
const round = (acc: bigint, lane: bigint): bigint => mul(rotl((acc + mul(lane, P2)) & M, 31n), P1)
const merge = (h: bigint, v: bigint): bigint => (mul(h ^ round(0n, v), P1) + P4) & M

/** XXH64 of `input` (a string is hashed as its UTF-8 bytes, as Envoy hashes `std::string`). */
export function xxHash64(input: string | Uint8Array, seed: bigint = 0n): bigint {
  const bytes = typeof input === 'string' ? encoder.encode(input) : input
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const len = bytes.length
  const u64 = (at: number): bigint => view.getBigUint64(at, true)
  let p = 0
  let h: bigint
  if (len >= 32) {
    let v1 = (seed + P1 + P2) & M
    let v2 = (seed + P2) & M
    let v3 = seed & M
    let v4 = (seed - P1) & M
    for (; p + 32 <= len; p += 32) {
      v1 = round(v1, u64(p))
      v2 = round(v2, u64(p + 8))
      v3 = round(v3, u64(p + 16))
      v4 = round(v4, u64(p + 24))
    }
    h = (rotl(v1, 1n) + rotl(v2, 7n) + rotl(v3, 12n) + rotl(v4, 18n)) & M
    h = merge(merge(merge(merge(h, v1), v2), v3), v4)
  } else {
    h = (seed + P5) & M
  }
  h = (h + BigInt(len)) & M
  for (; p + 8 <= len; p += 8) h = (mul(rotl(h ^ round(0n, u64(p)), 27n), P1) + P4) & M
  if (p + 4 <= len) {
    h = (mul(rotl(h ^ mul(BigInt(view.getUint32(p, true)), P1), 23n), P2) + P3) & M
    p += 4
  }
  for (; p < len; p++) h = mul(rotl(h ^ mul(BigInt(bytes[p]!), P5), 11n), P1)
  h = mul(h ^ (h >> 33n), P2)
  h = mul(h ^ (h >> 29n), P3)
  return h ^ (h >> 32n)
}

/** 16 lowercase hex digits, as Envoy's `Hex::uint64ToHex`. */
export const uint64ToHex = (h: bigint): string => h.toString(16).padStart(16, '0')

/** A uniform 64-bit value from an injected `[0, 1)` source (Envoy hashes a random number when a request has no hash). */
export function random64(random: () => number): bigint {
  const hi = BigInt(Math.floor(random() * 2 ** 32) >>> 0)
  const lo = BigInt(Math.floor(random() * 2 ** 32) >>> 0)
  return (hi << 32n) | lo
}
