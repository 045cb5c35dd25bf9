/**
 * What a new isolate pays before its first request, in workerd itself: one
 * workerd process serving n copies of a Worker (each its own isolate, each
 * compiling and evaluating the module at start-up, as workerd instantiates
 * every service before it listens), timed until it answers. The start-up
 * with 41 isolates less that with one, over 40, is one isolate's cost: the
 * runtime's own per-isolate work (the bare Worker's figure) plus compiling
 * and evaluating the module — what the process's own start-up and the
 * Node-based figure (bench/coldstart.ts) leave out or add. CPU is the
 * workerd process's user+system time (/proc, 10 ms ticks: hence many isolates).
 * https://github.com/cloudflare/workerd/blob/main/src/workerd/server/workerd.capnp
 */
import { spawn } from 'node:child_process'
import { mkdirSync, writeFileSync } from 'node:fs'
import { request } from 'node:http'
import { join } from 'node:path'
import { TMP } from './bundle.js'
import { CPU_TICK_US, freePort, workerdCpuTicks } from './workerd-host.js'

const MANY = 41

interface Startup {
  wallMs: number
  cpuMs: number
}

/** Any answer (even an error) means the process has started every service. */
const answers = (port: number) =>
  new Promise<boolean>((resolve) => {
    const r = request({ host: '127.0.0.1', port, path: '/', timeout: 2000 }, (res) => (res.resume(), res.on('end', () => resolve(true))))
    r.on('error', () => resolve(false))
    r.on('timeout', () => (r.destroy(), resolve(false)))
    r.end()
  })

function configText(module: string, n: number, port: number, compatibilityDate: string): string {
  const workers = Array.from({ length: n }, (_, i) =>
    `(name = "w${i}", worker = (modules = [(name = "index.mjs", esModule = embed ${JSON.stringify(module)})], compatibilityDate = "${compatibilityDate}", bindings = [(name = "UPSTREAM", text = "http://127.0.0.1:9")]))`,
  )
  return `using Workerd = import "/workerd/workerd.capnp";\nconst config :Workerd.Config = (\n  services = [${workers.join(',\n')}],\n  sockets = [(name = "http", address = "127.0.0.1:${port}", http = (), service = "w0")],\n);\n`
}

async function startOnce(workerd: string, dir: string, module: string, n: number, compatibilityDate: string): Promise<Startup> {
  const port = await freePort()
  const config = join(dir, `${module}-${n}.capnp`)
  writeFileSync(config, configText(module, n, port, compatibilityDate))
  const t0 = performance.now()
  const child = spawn(workerd, ['serve', config], { stdio: ['ignore', 'ignore', 'pipe'] })
  let stderr = ''
  child.stderr.on('data', (d) => (stderr += d))
  try {
    const deadline = t0 + 30_000
    while (!(await answers(port))) {
      if (child.exitCode !== null || performance.now() > deadline) throw new Error(`workerd did not start: ${stderr.slice(0, 500)}`)
      await new Promise((r) => setTimeout(r, 2))
    }
    const wallMs = performance.now() - t0
    const cpuMs = (workerdCpuTicks([child.pid!]) * CPU_TICK_US) / 1000
    return { wallMs, cpuMs }
  } finally {
    child.kill('SIGKILL')
    if (child.exitCode === null) await new Promise((r) => child.once('exit', r))
  }
}

export interface WorkerdEvalResult {
  /** One isolate's start-up, CPU ms (median over rounds): bare Worker and the data-plane entry. */
  bareCpuMs: number
  dataPlaneCpuMs: number
  bareWallMs: number
  dataPlaneWallMs: number
  /** Per round, data plane / bare (CPU): lowest and highest. */
  ratioRange: [number, number]
  rounds: number
  isolates: number
}

/** `modules`: the bare Worker's and the data-plane entry's code, each as one module. */
export async function measureEvalWorkerd(modules: { bare: string; dataPlane: string }, rounds: number): Promise<WorkerdEvalResult> {
  // The workerd package's main export is the binary's path (CommonJS: tsx and Node hand it over differently).
  const workerdPackage = 'workerd'
  const pkg = (await import(workerdPackage)) as { default: string | { default: string } }
  const workerd = typeof pkg.default === 'string' ? pkg.default : pkg.default.default
  const dir = join(TMP, 'eval-workerd')
  mkdirSync(dir, { recursive: true })
  writeFileSync(join(dir, 'bare.mjs'), modules.bare)
  writeFileSync(join(dir, 'data-plane.mjs'), modules.dataPlane)
  const compatibilityDate = '2026-04-01'
  const per = { bare: { cpu: [] as number[], wall: [] as number[] }, dataPlane: { cpu: [] as number[], wall: [] as number[] } }
  for (let r = 0; r < rounds; r++) {
    // Interleaved, so the machine's load hits both alike.
    for (const [key, file] of [['bare', 'bare.mjs'], ['dataPlane', 'data-plane.mjs']] as const) {
      const one = await startOnce(workerd, dir, file, 1, compatibilityDate)
      const many = await startOnce(workerd, dir, file, MANY, compatibilityDate)
      per[key].cpu.push((many.cpuMs - one.cpuMs) / (MANY - 1))
      per[key].wall.push((many.wallMs - one.wallMs) / (MANY - 1))
    }
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
  const ratios = per.dataPlane.cpu.map((c, i) => c / per.bare.cpu[i]!)
  return {
    bareCpuMs: median(per.bare.cpu),
    dataPlaneCpuMs: median(per.dataPlane.cpu),
    bareWallMs: median(per.bare.wall),
    dataPlaneWallMs: median(per.dataPlane.wall),
    ratioRange: [Math.min(...ratios), Math.max(...ratios)],
    rounds,
    isolates: MANY,
  }
}
