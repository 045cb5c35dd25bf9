// The regex engine's runtime alone (what a Worker that loads compiled programs would carry).
export { Re2Regex } from '../../src/regex/re2-regex.js'
export { ENGINE } from '../../src/regex/engine.js'
