/**
 * workerd's error lines as `edgevoy dev` and `npm start` print them
 * (src/cli/runtime-lines.ts): a DNS failure is one line naming the host and
 * the fix, never a stack of workerd addresses. The inputs are lines workerd
 * 1.20260426 printed for a STRICT_DNS endpoint `nonexistent.invalid`.
 */
import { describe, expect, it } from 'vitest'
import { tidyRuntimeLine } from '../../src/cli/runtime-lines'

const DNS = 'workerd/jsg/util.c++:405: error: e = kj/async-io-unix.c++:1298: failed: DNS lookup failed.; params.host = nonexistent.invalid; params.service = ; gai_strerror(status) = Name or service not known'
const STACK = 'stack: /x/node_modules/@cloudflare/workerd-linux-64/bin/workerd@51f50be /x/bin/workerd@51f5bb0; sentryErrorContext = jsgInternalError; wdErrId = git9bnj8u0kob8r52di73fe4'

describe('workerd lines', () => {
  it('a DNS failure: one line with the host and what to do; the stack is dropped', () => {
    expect(tidyRuntimeLine(`${DNS}`, false)).toBe(
      'edgevoy: DNS lookup of "nonexistent.invalid" failed (Name or service not known): the request got 503; map the name with --resolve nonexistent.invalid=IP[:PORT], or fix the endpoint address',
    )
    expect(tidyRuntimeLine(STACK, false)).toBeUndefined()
  })

  it('other workerd errors: one line without source positions; Worker lines and EDGEVOY_DEBUG untouched', () => {
    expect(tidyRuntimeLine('workerd/server/server.c++:123: error: kj/async.c++:9: failed: something broke; sentryErrorContext = x', false)).toBe('edgevoy: workerd error: failed: something broke')
    expect(tidyRuntimeLine('[edge] GET / -> 503 upstream=x:80 1ms id=1', false)).toBe('[edge] GET / -> 503 upstream=x:80 1ms id=1')
    expect(tidyRuntimeLine(STACK, true)).toBe(STACK)
  })
})
