/**
 * lazyModule (src/lazy-module.ts), what the filter registry, the load
 * balancers, the regex engine and the observers rely on: the import runs
 * until it succeeds and then never again, a failed one keeps nothing, and
 * using the module before it is loaded is an error that says so.
 */
import { describe, expect, it } from 'vitest'
import { lazyModule } from '../../src/lazy-module'

describe('lazyModule', () => {
  it('imports once: later loads resolve to the same value without importing', async () => {
    let imports = 0
    const m = lazyModule(async () => ({ n: ++imports }))
    expect(m.get()).toBeUndefined()
    const first = await m.load()
    expect(await m.load()).toBe(first)
    expect(m.get()).toBe(first)
    expect(imports).toBe(1)
  })

  it('overlapping loads share one import', async () => {
    let imports = 0
    let release!: () => void
    const gate = new Promise<void>((r) => (release = r))
    const m = lazyModule(async () => {
      imports++
      await gate
      return { n: imports }
    })
    const [a, b] = [m.load(), m.load()]
    release()
    expect(await a).toBe(await b)
    expect(imports).toBe(1)
  })

  it('a failed import keeps nothing and the next load tries again', async () => {
    let attempts = 0
    const m = lazyModule(async () => {
      if (++attempts === 1) throw new Error('No such module "chunks/x.mjs".')
      return 'x'
    })
    await expect(m.load()).rejects.toThrow('No such module')
    expect(m.get()).toBeUndefined()
    expect(() => m.expect('x is not loaded')).toThrow('x is not loaded')
    expect(await m.load()).toBe('x')
    expect(attempts).toBe(2)
  })

  it('expect throws the given message before loading, returns the value after', async () => {
    const m = lazyModule(async () => 42)
    expect(() => m.expect('edgevoy: not loaded yet')).toThrow(new Error('edgevoy: not loaded yet'))
    await m.load()
    expect(m.expect('unused')).toBe(42)
  })

  it('an installed value (a module that installs itself when evaluated) is used without importing', async () => {
    let imports = 0
    const m = lazyModule(async () => {
      imports++
      return 'imported'
    })
    m.install('installed')
    expect(await m.load()).toBe('installed')
    expect(m.expect('unused')).toBe('installed')
    expect(imports).toBe(0)
  })
})
