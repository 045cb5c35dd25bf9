/**
 * One output stream for the whole mesh: every line prefixed with the hop that
 * printed it (`front-envoy:8080 | GET / -> 200 …`), like docker-compose's
 * per-container prefixes.
 */
export class HopLog {
  #width = 12

  /** Make room for the longest label, so the `|` column lines up. */
  widen(labels: Iterable<string>): void {
    for (const label of labels) this.#width = Math.max(this.#width, label.length)
  }

  line(label: string, text: string, stream: 'stdout' | 'stderr' = 'stdout'): void {
    ;(stream === 'stderr' ? process.stderr : process.stdout).write(`${label.padEnd(this.#width)} | ${text}\n`)
  }

  /** A Worker's line: drop its own `[<listener>] ` prefix, the hop label says more. */
  workerLine(label: string, listener: string, text: string, stream: 'stdout' | 'stderr'): void {
    const own = `[${listener}] `
    this.line(label, text.startsWith(own) ? text.slice(own.length) : text, stream)
  }
}
