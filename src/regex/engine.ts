/**
 * The regex engine's machines and the packed-program decoder: what runs a
 * Re2Regex (index.ts). Importing this module installs it. The control plane
 * (the RE2 validator, src/config/re2/) imports it statically; the data plane
 * imports it only when a snapshot it serves holds a regex
 * (`loadRegexEngine`, awaited in state/serving.ts), so a config without
 * regexes never evaluates the engine.
 */
import { BitState } from './bitstate.js'
import { LazyDfa } from './dfa.js'
import { installRegexEngine } from './index.js'
import { PikeVM } from './pike.js'
import { programFromJson } from './serialize.js'

export const ENGINE = { BitState, LazyDfa, PikeVM, programFromJson }

installRegexEngine(ENGINE)
