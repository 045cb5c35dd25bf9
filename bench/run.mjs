#!/usr/bin/env node
// `npm run bench`: the benchmarks are TypeScript importing src/ directly;
// tsx compiles them on the fly, as bin/edgevoy.mjs does for the CLI.
// Flags: --quick (shorter runs), --only=bundle,eval,compile,load,routing,regex,memory,runtime
import { register } from 'tsx/esm/api'

register()
await import('./main.ts')
// Exit explicitly: Miniflare or a stray socket must not keep the process alive.
process.exit(0)
