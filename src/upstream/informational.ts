/**
 * Upstream 1xx responses (100 Continue, 103 Early Hints). workerd's fetch()
 * resolves with the 1xx itself and hands the rest of the connection — the
 * final response's status line, headers and body as raw HTTP/1.1 bytes — over
 * as its body (seen against a real Node upstream; `new Response()` then
 * refused the 1xx status and every such request answered 500).
 *
 * Envoy never passes an upstream 1xx on as the answer: it handles
 * `Expect: 100-continue` itself and forwards the final response
 * (`proxy_100_continue` off, the default; conn_manager_impl.cc
 * `encode1xxHeaders`). So the 1xx heads are skipped here and the final
 * response is read out of the stream, its body framed per RFC 9112 §6.3.
 * https://www.rfc-editor.org/rfc/rfc9110#section-15.2
 * https://www.rfc-editor.org/rfc/rfc9112#section-6.3
 */
import { ProxyError } from '../errors.js'

const MAX_HEAD_BYTES = 64 * 1024
const NULL_BODY_STATUS = new Set([204, 205, 304])

const protocolError = (message: string) => new ProxyError('upstream_protocol_error', { cause: new Error(message) })

/** Bytes read so far and the rest of the stream. */
class Source {
  buf: Uint8Array = new Uint8Array(0)
  constructor(readonly reader: ReadableStreamDefaultReader<Uint8Array>) {}

  /** Reads one more chunk onto `buf`; false at the end of the stream. */
  async more(): Promise<boolean> {
    const { done, value } = await this.reader.read()
    if (done) return false
    const next = new Uint8Array(this.buf.length + value.byteLength)
    next.set(this.buf)
    next.set(value, this.buf.length)
    this.buf = next
    return true
  }

  take(n: number): Uint8Array {
    const out = this.buf.slice(0, n)
    this.buf = this.buf.subarray(n)
    return out
  }

  indexOf(seq: readonly number[], from = 0): number {
    outer: for (let i = from; i + seq.length <= this.buf.length; i++) {
      for (let j = 0; j < seq.length; j++) if (this.buf[i + j] !== seq[j]) continue outer
      return i
    }
    return -1
  }

  close(): void {
    this.reader.cancel().catch(() => undefined)
  }
}

const CRLF = [13, 10]
const CRLFCRLF = [13, 10, 13, 10]

/** The final response behind one or more 1xx heads in `first`'s body. */
export async function finalResponse(first: Response, method: string): Promise<Response> {
  if (!first.body) throw protocolError(`a ${first.status} without the final response`)
  const src = new Source(first.body.getReader())
  for (;;) {
    let end: number
    while ((end = src.indexOf(CRLFCRLF)) < 0) {
      if (src.buf.length > MAX_HEAD_BYTES) throw protocolError('response head too large')
      if (!(await src.more())) throw protocolError('connection closed before the final response')
    }
    const head = new TextDecoder().decode(src.take(end + 4)).trimStart()
    const lines = head.split('\r\n').filter((l) => l !== '')
    const status = /^HTTP\/1\.[01] (\d{3})(?: (.*))?$/.exec(lines[0] ?? '')
    if (!status) throw protocolError(`bad status line ${JSON.stringify(lines[0]?.slice(0, 80))}`)
    const code = Number(status[1])
    // Another interim response (several 103s may come before the final one).
    if (code >= 100 && code < 200) {
      if (code === 101) throw protocolError('101 after a 1xx')
      continue
    }
    const headers = new Headers()
    for (const line of lines.slice(1)) {
      const colon = line.indexOf(':')
      if (colon <= 0) throw protocolError('bad header line')
      headers.append(line.slice(0, colon).trim(), line.slice(colon + 1).trim())
    }
    return new Response(bodyOf(src, code, method, headers), { status: code, statusText: status[2] ?? '', headers })
  }
}

function bodyOf(src: Source, status: number, method: string, headers: Headers): ReadableStream<Uint8Array> | null {
  if (method === 'HEAD' || NULL_BODY_STATUS.has(status)) {
    src.close()
    return null
  }
  if (/(^|,)\s*chunked\s*$/i.test(headers.get('transfer-encoding') ?? '')) {
    headers.delete('content-length')
    return chunked(src)
  }
  const length = headers.get('content-length')
  if (length !== null) {
    if (!/^\d{1,15}$/.test(length.trim())) throw protocolError('bad content-length')
    return fixed(src, Number(length.trim()))
  }
  return untilClose(src)
}

function fixed(src: Source, length: number): ReadableStream<Uint8Array> {
  let left = length
  return new ReadableStream<Uint8Array>({
    async pull(c) {
      if (left === 0) {
        src.close()
        return c.close()
      }
      if (src.buf.length === 0 && !(await src.more())) return c.error(protocolError('body shorter than its content-length'))
      const chunk = src.take(Math.min(left, src.buf.length))
      left -= chunk.length
      c.enqueue(chunk)
    },
    cancel: () => src.close(),
  })
}

function untilClose(src: Source): ReadableStream<Uint8Array> {
  return new ReadableStream<Uint8Array>({
    async pull(c) {
      if (src.buf.length === 0 && !(await src.more())) return c.close()
      c.enqueue(src.take(src.buf.length))
    },
    cancel: () => src.close(),
  })
}

/** RFC 9112 §7.1 chunked coding: size line, data, CRLF … a zero size, trailers (dropped), CRLF. */
function chunked(src: Source): ReadableStream<Uint8Array> {
  let left = 0
  const need = async (n: number) => {
    while (src.buf.length < n) if (!(await src.more())) throw protocolError('truncated chunked body')
  }
  const line = async (): Promise<string> => {
    let at: number
    while ((at = src.indexOf(CRLF)) < 0) {
      if (src.buf.length > MAX_HEAD_BYTES) throw protocolError('chunk line too long')
      if (!(await src.more())) throw protocolError('truncated chunked body')
    }
    const text = new TextDecoder().decode(src.take(at))
    src.take(2)
    return text
  }
  return new ReadableStream<Uint8Array>({
    async pull(c) {
      try {
        if (left === 0) {
          const size = /^([0-9a-fA-F]{1,12})\s*(;.*)?$/.exec(await line())
          if (!size) throw protocolError('bad chunk size')
          left = parseInt(size[1]!, 16)
          if (left === 0) {
            while ((await line()) !== '') {
              /* trailers are not forwarded */
            }
            src.close()
            return c.close()
          }
        }
        if (src.buf.length === 0) await need(1)
        const chunk = src.take(Math.min(left, src.buf.length))
        left -= chunk.length
        if (left === 0) {
          await need(2)
          src.take(2)
        }
        c.enqueue(chunk)
      } catch (e) {
        src.close()
        c.error(e)
      }
    },
    cancel: () => src.close(),
  })
}
