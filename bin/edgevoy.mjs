#!/usr/bin/env node
// The CLI is TypeScript (src/cli/main.ts); tsx compiles it on the fly so the
// repo needs no build step before `npx edgevoy` or `npm start`.
import { register } from 'tsx/esm/api'

register()
const { main } = await import('../src/cli/main.ts')
// Exit explicitly: a stopped `dev` or `start` must not linger on a stray handle.
process.exit(await main(process.argv.slice(2)))
