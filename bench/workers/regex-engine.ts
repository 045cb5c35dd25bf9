// The regex engine alone, for its gzip size: the runtime (src/regex/) and the compiler from RE2's parse tree.
export { Re2Regex } from '../../src/regex/re2-regex.js'
export { ENGINE } from '../../src/regex/engine.js'
export { compileProgram } from '../../src/config/re2/program.js'
