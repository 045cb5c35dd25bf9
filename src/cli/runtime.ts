/**
 * Starting and stopping the local runtime: Miniflare (one workerd process),
 * waiting until every listener accepts connections, and stopping on
 * Ctrl-C/SIGTERM with nothing left behind.
 */
import { Miniflare, type MiniflareOptions } from 'miniflare'
import { connect } from 'node:net'
import { LOCAL_HOST } from './ports.js'

/** Resolves when a TCP connection to host:port succeeds; rejects after `timeoutMs`. */
export async function waitForPort(port: number, timeoutMs = 10_000, host = LOCAL_HOST): Promise<void> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const socket = connect({ port, host })
      socket.once('connect', () => (socket.destroy(), resolve(true)))
      socket.once('error', () => (socket.destroy(), resolve(false)))
    })
    if (ok) return
    if (Date.now() > deadline) throw new Error(`nothing accepts connections on ${host}:${port} after ${timeoutMs} ms`)
    await new Promise((r) => setTimeout(r, 50))
  }
}

/** Start Miniflare and wait until every given port accepts connections; dispose it if that fails. */
export async function startMiniflare(options: MiniflareOptions, ports: readonly number[], stop: StopSignal): Promise<Miniflare> {
  const mf = new Miniflare(options)
  stop.claim()
  try {
    await mf.ready
    await Promise.all(ports.map((port) => waitForPort(port)))
    return mf
  } catch (e) {
    await mf.dispose().catch(() => {})
    throw e
  }
}

const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const

/**
 * Ctrl-C, SIGTERM and SIGHUP, turned into a promise the command awaits to
 * stop cleanly. Listening starts at construction, so a signal during startup
 * is not lost (the command stops what it started, then returns).
 */
export class StopSignal {
  received: NodeJS.Signals | undefined
  readonly promise: Promise<NodeJS.Signals>
  readonly #onSignal: (signal: NodeJS.Signals) => void

  constructor() {
    let resolve!: (signal: NodeJS.Signals) => void
    this.promise = new Promise((r) => (resolve = r))
    this.#onSignal = (signal) => {
      if (this.received) return // a second Ctrl-C during cleanup must not cut it short
      this.received = signal
      resolve(signal)
    }
    for (const signal of STOP_SIGNALS) process.on(signal, this.#onSignal)
    this.#watchParent()
  }

  /**
   * `npx edgevoy …` and `npm start` run us under a shell: SIGTERM to npm or npx
   * can end that shell without reaching us, leaving workerd with the port
   * bound. Re-parented means whoever started us is gone: stop as for SIGHUP.
   */
  #watchParent(): void {
    const parent = process.ppid
    const timer = setInterval(() => {
      if (process.ppid !== parent) {
        clearInterval(timer)
        this.#onSignal('SIGHUP')
      }
    }, 500)
    timer.unref()
  }

  /**
   * Miniflare installs its own SIGINT/SIGTERM hook that kills workerd and
   * exits at once (code 130/143) — before our services are stopped. Call
   * after creating Miniflare instances: the command does the stopping, and
   * exits 0. (Miniflare's `exit` hook stays as the last-resort safety net.)
   */
  claim(): void {
    for (const signal of STOP_SIGNALS) {
      for (const listener of process.listeners(signal)) if (listener !== this.#onSignal) process.removeListener(signal, listener)
    }
  }
}
