/**
 * Just enough of RFC 6455 for an echo endpoint: the handshake, and unfragmented
 * frames up to 64 KiB. Text and binary frames are echoed back, ping gets pong,
 * close gets close. https://www.rfc-editor.org/rfc/rfc6455#section-5.2
 */
import { createHash } from 'node:crypto'
import type { IncomingMessage } from 'node:http'
import type { Socket } from 'node:net'

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11'

export function acceptWebSocket(req: IncomingMessage, socket: Socket, head: Buffer): void {
  const key = req.headers['sec-websocket-key']
  if (typeof key !== 'string') return void socket.destroy()
  const accept = createHash('sha1').update(key + GUID).digest('base64')
  socket.write(
    'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
      `Sec-WebSocket-Accept: ${accept}\r\n\r\n`,
  )
  let buffered = head
  socket.on('data', (data: Buffer) => {
    buffered = Buffer.concat([buffered, data])
    for (let frame = parseFrame(buffered); frame; frame = parseFrame(buffered)) {
      buffered = buffered.subarray(frame.length)
      if (frame.opcode === 0x8) {
        socket.end(encodeFrame(0x8, frame.payload))
        return
      }
      if (frame.opcode === 0x9) socket.write(encodeFrame(0xa, frame.payload))
      else if (frame.opcode === 0x1 || frame.opcode === 0x2) socket.write(encodeFrame(frame.opcode, frame.payload))
    }
  })
  socket.on('error', () => socket.destroy())
}

interface Frame {
  opcode: number
  payload: Buffer
  /** Bytes the frame took in the buffer. */
  length: number
}

/** One complete frame from the start of `buf`, or undefined if more bytes are needed. */
function parseFrame(buf: Buffer): Frame | undefined {
  if (buf.length < 2) return undefined
  const opcode = buf[0]! & 0x0f
  const masked = (buf[1]! & 0x80) !== 0
  let size = buf[1]! & 0x7f
  let offset = 2
  if (size === 126) {
    if (buf.length < 4) return undefined
    size = buf.readUInt16BE(2)
    offset = 4
  } else if (size === 127) {
    if (buf.length < 10) return undefined
    size = Number(buf.readBigUInt64BE(2))
    offset = 10
  }
  const maskOffset = offset
  if (masked) offset += 4
  if (buf.length < offset + size) return undefined
  const payload = Buffer.from(buf.subarray(offset, offset + size))
  if (masked) for (let i = 0; i < size; i++) payload[i]! ^= buf[maskOffset + (i % 4)]!
  return { opcode, payload, length: offset + size }
}

/** A server frame: FIN set, never masked. */
function encodeFrame(opcode: number, payload: Buffer): Buffer {
  const header =
    payload.length < 126
      ? Buffer.from([0x80 | opcode, payload.length])
      : Buffer.from([0x80 | opcode, 126, payload.length >> 8, payload.length & 0xff])
  return Buffer.concat([header, payload])
}
