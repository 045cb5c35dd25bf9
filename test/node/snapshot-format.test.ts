/**
 * A serialized snapshot is only loaded by the compiler revision that wrote
 * it, so any change to the IR's shapes must come with a new IR_REVISION
 * (and so a new COMPILER_VERSION): this fails when src/compile/ir.ts
 * changed but the recorded fingerprint did not.
 */
import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { describe, expect, it } from 'vitest'
import { COMPILER_VERSION, IR_FINGERPRINT, IR_REVISION } from '../../src/snapshot/format'

const fingerprint = (text: string) =>
  createHash('sha256')
    .update(text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/\/\/.*$/gm, '').replace(/\s+/g, ''))
    .digest('hex')
    .slice(0, 16)

describe('snapshot format revision', () => {
  it('src/compile/ir.ts is the IR this revision was recorded for (bump IR_REVISION and IR_FINGERPRINT together)', () => {
    const now = fingerprint(readFileSync(resolve(import.meta.dirname, '../../src/compile/ir.ts'), 'utf8'))
    expect(now, `ir.ts changed: set IR_REVISION to ${IR_REVISION + 1} and IR_FINGERPRINT to '${now}' in src/snapshot/format.ts`).toBe(IR_FINGERPRINT)
  })

  it('the compiler version names the revision', () => {
    expect(COMPILER_VERSION).toBe(`edgevoy-compiler/${IR_REVISION}`)
  })
})
