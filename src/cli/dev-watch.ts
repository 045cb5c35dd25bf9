/**
 * `edgevoy dev --watch`: edits to the config file are validated and applied
 * to the running server; a broken edit is reported with every error and the
 * last good config keeps serving. And, for `--persist`: whether config
 * versions stored through the admin API shadow the file.
 */
import { watch } from 'node:fs'
import { basename, dirname, resolve as resolvePath } from 'node:path'
import { LOCAL_HOST } from './ports.js'

/**
 * Calls `onChange` after the file changes (debounced). Watches the directory:
 * editors often save by writing a new file and renaming it over the old one.
 */
export function watchFile(file: string, onChange: () => void, debounceMs = 150): () => void {
  const path = resolvePath(file)
  const name = basename(path)
  let timer: NodeJS.Timeout | undefined
  const watcher = watch(dirname(path), (_event, changed) => {
    if (changed !== null && changed.toString() !== name) return
    clearTimeout(timer)
    timer = setTimeout(onChange, debounceMs)
  })
  return () => {
    clearTimeout(timer)
    watcher.close()
  }
}

/** The version the admin API's config authority holds (0: none stored, the file serves); undefined if it cannot say. */
export async function storedVersion(port: number, token: string): Promise<number | undefined> {
  try {
    const res = await fetch(`http://${LOCAL_HOST}:${port}/__admin/config/versions`, { headers: { authorization: `Bearer ${token}` } })
    if (!res.ok) return undefined
    return ((await res.json()) as { current?: number }).current
  } catch {
    return undefined
  }
}

/** The line `dev` prints when stored admin versions, not the file, are what serves. */
export function shadowNotice(version: number, file: string): string {
  return `edgevoy: notice: serving config version ${version}, stored through the admin API (in .edgevoy/state, kept by --persist); it shadows ${file}, so edits of the file do not show. To serve the file again: POST /__admin/config/rollback {"version":0}, or delete .edgevoy/state`
}
