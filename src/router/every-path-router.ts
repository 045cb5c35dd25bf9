/**
 * The listener app's Hono router. The app registers only middleware for
 * every path and method (`app.use(fn)`, `app.all('*', fn)`): the route is
 * decided by edgevoy's own index (route-index.ts, decide.ts), not by Hono.
 * So the match is the same list for every request, built as handlers are
 * added — nothing to compile, nothing to run per request — and the data
 * plane does not carry Hono's RegExpRouter and SmartRouter
 * (hono/router/reg-exp-router), which `new Hono()` would bring.
 * https://hono.dev/docs/concepts/routers
 */
import type { Params, Result, Router } from 'hono/router'

const NO_PARAMS: Params = Object.freeze({}) as Params

export class EveryPathRouter<T> implements Router<T> {
  readonly name = 'EveryPathRouter'
  readonly #handlers: [T, Params][] = []
  readonly #result: Result<T> = [this.#handlers]

  add(method: string, path: string, handler: T): void {
    // Hono registers `app.use(fn)` and `app.all('*', fn)` as method ALL, path `/*` (or `*`).
    if (method !== 'ALL' || (path !== '/*' && path !== '*')) throw new Error(`edgevoy: the listener app registers handlers for every path and method only, got ${method} ${path}`)
    this.#handlers.push([handler, NO_PARAMS])
  }

  match(): Result<T> {
    return this.#result
  }
}
