/**
 * The admin API's one error shape: `{ "error": { "code", "message", "details" } }`.
 * Handlers throw AdminError; the app's onError turns it (and anything else) into JSON.
 */
import type { z } from 'zod'

export class AdminError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: readonly unknown[] = [],
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(message)
  }

  toResponse(): Response {
    return errorResponse(this.status, this.code, this.message, this.details, this.headers)
  }
}

export function errorResponse(status: number, code: string, message: string, details: readonly unknown[] = [], headers: Readonly<Record<string, string>> = {}): Response {
  return new Response(JSON.stringify({ error: { code, message, details } }, null, 2), {
    status,
    headers: { 'content-type': 'application/json; charset=utf-8', ...headers },
  })
}

/** zod request-schema issues in the config issues' shape (path, message, code). */
export function requestIssues(error: z.ZodError): unknown[] {
  return error.issues.map((i) => ({ severity: 'error', code: i.code, path: i.path, message: i.message }))
}
