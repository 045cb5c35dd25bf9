/**
 * Issue 13 item 5, as the attack: an upstream 1xx must never become a 500.
 * Envoy answers `Expect: 100-continue` itself (and removes the header, so the
 * upstream never sends a 100 for it) and forwards the final response, never an
 * interim one (conn_manager_impl.cc, proxy_100_continue off by default).
 * workerd's fetch() resolves with the 1xx and hands the final response over as
 * raw bytes in its body; forward() reads it out (src/upstream/informational.ts).
 * https://www.rfc-editor.org/rfc/rfc9110#section-15.2
 */
import { describe, expect, inject, it } from 'vitest'
import type { EchoBody } from '../support/upstream-types'
import { logLines, streamApp } from './stream-harness'

const { a } = inject('upstreams') as { a: number }

describe('upstream 1xx', () => {
  it('103 Early Hints then 200: the client gets the 200 with its body and headers', async () => {
    const app = streamApp({ ports: [a] })
    const res = await app.request('/early-hints?x=1')
    expect(res.status).toBe(200)
    expect(res.headers.get('x-upstream-id')).toBe('a')
    expect(res.headers.get('x-envoy-upstream-service-time')).toMatch(/^\d+$/)
    const echo = (await res.json()) as EchoBody
    expect(echo).toMatchObject({ id: 'a', url: '/early-hints?x=1' })
    expect((await logLines(app.lines))[0]).toMatch(/^200 - \d+ via_upstream /)
  })

  it('two 103s before a chunked final response', async () => {
    const app = streamApp({ ports: [a] })
    const res = await app.request('/early-hints?twice&chunked')
    expect(res.status).toBe(200)
    expect(((await res.json()) as EchoBody).url).toBe('/early-hints?twice&chunked')
  })

  it('an unsolicited 100 Continue then 200', async () => {
    const app = streamApp({ ports: [a] })
    const res = await app.request('/continue')
    expect(res.status).toBe(200)
    expect(((await res.json()) as EchoBody).id).toBe('a')
  })

  it("a client's Expect: 100-continue is not forwarded, and its upload arrives whole", async () => {
    const app = streamApp({ ports: [a] })
    const body = new Uint8Array(300_000).fill(7)
    const res = await app.request('/upload', { method: 'POST', body, headers: { expect: '100-continue', 'content-length': String(body.byteLength) } })
    expect(res.status).toBe(200)
    const echo = (await res.json()) as EchoBody
    expect(echo.bodyBytes).toBe(300_000)
    expect(echo.headers.expect).toBeUndefined()
  })

  it('the retry path (buffered body) handles a 1xx too', async () => {
    const app = streamApp({ ports: [a], route: { retry_policy: { retry_on: '5xx', num_retries: 2 } } })
    const res = await app.request('/early-hints', { method: 'POST', body: 'hello', headers: { expect: '100-continue' } })
    expect(res.status).toBe(200)
    expect(((await res.json()) as EchoBody).bodyBytes).toBe(5)
  })
})
