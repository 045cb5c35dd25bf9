#!/usr/bin/env node
// `npm run sim`: the simulation is TypeScript importing src/ directly; tsx compiles it on the fly.
import { register } from 'tsx/esm/api'

register()
await import('./main.ts')
process.exit(0)
