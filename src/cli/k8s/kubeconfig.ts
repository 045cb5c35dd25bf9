/**
 * Where the Kubernetes API server is and how to authenticate to it: from a
 * kubeconfig file (the `current-context`, or `--context`), or from inside a
 * pod (the ServiceAccount's token and CA, and KUBERNETES_SERVICE_HOST/PORT).
 * Only bearer tokens are supported (a ServiceAccount token, `token` or
 * `tokenFile`): client certificates, `exec` and `auth-provider` plugins need
 * machinery k8s-sync does not carry, and are refused with a clear error.
 * https://kubernetes.io/docs/concepts/configuration/organize-cluster-access-kubeconfig/
 * https://kubernetes.io/docs/tasks/run-application/access-api-from-pod/
 */
import { readFileSync } from 'node:fs'
import { dirname, isAbsolute, resolve } from 'node:path'
import { parse } from 'yaml'

export interface KubeTarget {
  /** The API server's base URL, e.g. https://10.96.0.1:443 (no trailing slash). */
  readonly server: string
  /** The bearer token, read on every request: projected ServiceAccount tokens are rotated on disk. */
  readonly token: () => string | undefined
  /** PEM CA bundle to trust for the server's certificate (else the system's). */
  readonly ca?: string
  readonly insecureSkipTlsVerify?: boolean
  /** The context's (or the pod's) namespace, for refs that leave it out. */
  readonly namespace: string
  /** Where this came from, for messages. */
  readonly source: string
}

type Json = Record<string, unknown>
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v)
const named = (list: unknown, name: string, what: string, file: string): Json => {
  const entry = (Array.isArray(list) ? list : []).find((e) => isObject(e) && e.name === name)
  if (!isObject(entry)) throw new Error(`${file}: no ${what} named "${name}"`)
  return entry
}
const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined)

/** A kubeconfig file's context (default: its current-context) as a KubeTarget. */
export function fromKubeconfig(file: string, contextName?: string): KubeTarget {
  let doc: unknown
  try {
    doc = parse(readFileSync(file, 'utf8'))
  } catch (e) {
    throw new Error(`${file}: cannot read the kubeconfig: ${e instanceof Error ? e.message : String(e)}`)
  }
  if (!isObject(doc)) throw new Error(`${file}: not a kubeconfig (expected a YAML mapping)`)
  const name = contextName ?? str(doc['current-context'])
  if (!name) throw new Error(`${file}: no current-context; pass --context NAME`)
  const context = named(doc.contexts, name, 'context', file).context
  if (!isObject(context)) throw new Error(`${file}: context "${name}" has no context: mapping`)
  const cluster = named(doc.clusters, String(context.cluster), 'cluster', file).cluster
  if (!isObject(cluster) || !str(cluster.server)) throw new Error(`${file}: cluster "${String(context.cluster)}" has no server`)
  const user = context.user === undefined ? {} : named(doc.users, String(context.user), 'user', file).user
  const u = isObject(user) ? user : {}
  for (const unsupported of ['client-certificate', 'client-certificate-data', 'exec', 'auth-provider', 'username'])
    if (u[unsupported] !== undefined)
      throw new Error(`${file}: user "${String(context.user)}" uses ${unsupported}, which k8s-sync does not support; use a ServiceAccount token (token: or tokenFile:), e.g. kubectl create token edgevoy-k8s-sync -n <namespace>`)
  const relative = (p: string) => (isAbsolute(p) ? p : resolve(dirname(file), p))
  const tokenFile = str(u.tokenFile)
  const token = str(u.token)
  const caData = str(cluster['certificate-authority-data'])
  const caFile = str(cluster['certificate-authority'])
  return {
    server: String(cluster.server).replace(/\/+$/, ''),
    token: tokenFile ? () => readFileSync(relative(tokenFile), 'utf8').trim() : () => token,
    ...(caData ? { ca: Buffer.from(caData, 'base64').toString('utf8') } : caFile ? { ca: readFileSync(relative(caFile), 'utf8') } : {}),
    ...(cluster['insecure-skip-tls-verify'] === true ? { insecureSkipTlsVerify: true } : {}),
    namespace: str(context.namespace) ?? 'default',
    source: `${file} (context "${name}")`,
  }
}

/** The well-known ServiceAccount mount. */
export const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount'

/** Inside a pod: KUBERNETES_SERVICE_HOST/PORT and the mounted ServiceAccount token, CA and namespace. */
export function inCluster(env: NodeJS.ProcessEnv = process.env, dir = SERVICE_ACCOUNT_DIR): KubeTarget {
  const host = env.KUBERNETES_SERVICE_HOST
  const port = env.KUBERNETES_SERVICE_PORT ?? '443'
  if (!host) throw new Error('not running in a Kubernetes pod (KUBERNETES_SERVICE_HOST is not set); pass --kubeconfig FILE')
  const read = (name: string) => {
    try {
      return readFileSync(`${dir}/${name}`, 'utf8')
    } catch {
      return undefined
    }
  }
  if (read('token') === undefined) throw new Error(`no ServiceAccount token at ${dir}/token (automountServiceAccountToken: false?)`)
  const ca = read('ca.crt')
  return {
    server: `https://${host.includes(':') ? `[${host}]` : host}:${port}`,
    token: () => read('token')?.trim(),
    ...(ca ? { ca } : {}),
    namespace: read('namespace')?.trim() || 'default',
    source: `in-cluster (${dir})`,
  }
}
