/**
 * A real OAuth 2.0 token endpoint (RFC 6749 §3.2) for the oauth2 filter's
 * tests, served by every test upstream at `POST /oauth2/token` (Node only).
 * The expected client is given in the endpoint's own query —
 * `/oauth2/token?client_id=ID&client_secret=S[&expires_in=N|none]` — so a test
 * configures it through `token_endpoint.uri`. It checks the client's
 * credentials (HTTP Basic, each half form-decoded as RFC 6749 §2.3.1 says, or
 * client_id/client_secret in the body) and the grant:
 *   authorization_code: `code` starting "good-", `redirect_uri` and a PKCE
 *     `code_verifier` (43–128 chars) present → access_token "at-<code>",
 *     id_token "id-<code>", refresh_token "rt-<code>";
 *   refresh_token: a `refresh_token` starting "rt-" → access_token "at2-<refresh>".
 * Bad client → 401 invalid_client; bad grant → 400 invalid_grant. The request
 * (headers and parsed form) is kept as the upstream's `last`, with `form`.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { EchoBody } from './upstream-types'

async function readText(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = []
  for await (const chunk of req as AsyncIterable<Buffer>) chunks.push(chunk)
  return Buffer.concat(chunks).toString('utf8')
}

const formDecode = (v: string) => decodeURIComponent(v.replaceAll('+', ' '))

export async function tokenEndpoint(id: string, req: IncomingMessage, res: ServerResponse, url: URL): Promise<EchoBody> {
  const text = await readText(req)
  const form = Object.fromEntries(new URLSearchParams(text))
  const echo: EchoBody = { id, method: req.method ?? '', url: req.url ?? '', headers: req.headers, bodyBytes: Buffer.byteLength(text), bodySha256: '', form }
  const send = (status: number, body: Record<string, unknown>) => {
    res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' })
    res.end(JSON.stringify(body))
  }
  let clientId = form.client_id
  let clientSecret = form.client_secret
  const basic = /^Basic (.+)$/i.exec(req.headers.authorization ?? '')
  if (basic) {
    const decoded = Buffer.from(basic[1]!, 'base64').toString('utf8')
    const colon = decoded.indexOf(':')
    clientId = formDecode(decoded.slice(0, colon))
    clientSecret = formDecode(decoded.slice(colon + 1))
  }
  if (req.method !== 'POST' || !String(req.headers['content-type']).startsWith('application/x-www-form-urlencoded')) {
    send(400, { error: 'invalid_request' })
    return echo
  }
  if (clientId !== url.searchParams.get('client_id') || clientSecret !== url.searchParams.get('client_secret')) {
    send(401, { error: 'invalid_client' })
    return echo
  }
  const expires = url.searchParams.get('expires_in') ?? '3600'
  const lifetime = expires === 'none' ? {} : { expires_in: Number(expires) }
  if (form.grant_type === 'authorization_code' && form.code?.startsWith('good-') && form.redirect_uri && /^[A-Za-z0-9._~-]{43,128}$/.test(form.code_verifier ?? '')) {
    send(200, { access_token: `at-${form.code}`, id_token: `id-${form.code}`, refresh_token: `rt-${form.code}`, token_type: 'Bearer', ...lifetime })
  } else if (form.grant_type === 'refresh_token' && form.refresh_token?.startsWith('rt-')) {
    send(200, { access_token: `at2-${form.refresh_token}`, token_type: 'Bearer', ...lifetime })
  } else send(400, { error: 'invalid_grant' })
  return echo
}
