/**
 * The regex engine's machines, the packed-program decoder and the Re2Regex
 * class they run (re2-regex.ts). Importing this module installs it. The control plane
 * (the RE2 validator, src/config/re2/) imports it statically; the data plane
 * imports it only when a snapshot it serves holds a regex
 * (`loadRegexEngine`, awaited in snapshot/load.ts `readySnapshot` before linking), so a config without
 * regexes never evaluates the engine.
 */
import { BitState } from './bitstate.js'
import { LazyDfa } from './dfa.js'
import { installRegexEngine } from './index.js'
import { PikeVM } from './pike.js'
import { Re2Regex } from './re2-regex.js'
import { programFromJson } from './serialize.js'

export const ENGINE = { BitState, LazyDfa, PikeVM, programFromJson, Re2Regex }

installRegexEngine(ENGINE)
