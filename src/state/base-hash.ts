/**
 * The hash that identifies a base config (its v3 JSON as written): the build
 * records it beside the snapshot, the config authority stores it with every
 * version, and an isolate compares the two to notice a newly deployed base.
 */
import { hashText } from '../compile/hash.js'

export const baseHashOf = (source: unknown): string => hashText(JSON.stringify(source) ?? '')
