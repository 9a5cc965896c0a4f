// Per-call overhead of `sb.exec(['true'])` (this package) next to the same exec through the
// Rust core directly (examples/exec_peer.rs, a child process) and through dockerode, on the
// same container, in one run: warm-up first, then the three interleaved every iteration, in
// rotating order. Prints medians (and min / p90) in milliseconds. Nothing is asserted.
//
//   npm run build && node bench/exec-overhead.js [iterations=200]
//
// The sandbox it makes carries the label `docksandbox-bench=<run id>` and is removed at the
// end, also on failure.
'use strict'

const { spawn, execFileSync } = require('node:child_process')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const readline = require('node:readline')
const Docker = require('dockerode')
const ds = require('..')

const N = Number(process.argv[2] ?? 200)
const WARMUP = 20
const IMAGE = 'docksandbox/busybox:test'
const runId = `${process.pid}-${Date.now()}`
const docker = new Docker()

function stats(ms) {
  const s = [...ms].sort((a, b) => a - b)
  const q = (p) => s[Math.min(s.length - 1, Math.floor(p * s.length))]
  const median = s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2
  return { median, min: s[0], p90: q(0.9) }
}

/** The Rust core's exec, timed in Rust; one call per request. */
async function rustPeer(name) {
  const root = path.join(__dirname, '..')
  const env = { ...process.env }
  execFileSync('cargo', ['build', '--quiet', '--release', '-p', 'docksandbox-node', '--example', 'exec_peer'], { cwd: root, stdio: 'inherit', env })
  const meta = JSON.parse(execFileSync('cargo', ['metadata', '--format-version', '1', '--no-deps'], { cwd: root, env }))
  const bin = path.join(meta.target_directory, 'release', 'examples', 'exec_peer')
  const child = spawn(bin, [name], { stdio: ['pipe', 'pipe', 'inherit'] })
  const lines = readline.createInterface({ input: child.stdout })[Symbol.asyncIterator]()
  const first = await lines.next()
  if (first.value !== 'ready') throw new Error(`exec_peer did not start: ${first.value}`)
  return {
    async call() {
      child.stdin.write('\n')
      const { value, done } = await lines.next()
      if (done) throw new Error('exec_peer ended')
      return Number(value) / 1000
    },
    close() {
      child.stdin.end()
    },
  }
}

async function main() {
  const ws = fs.mkdtempSync(path.join(os.tmpdir(), 'docksandbox-bench-'))
  let peer
  try {
    const sb = await ds.run({ workspace: ws, agent: 'shell', template: IMAGE, network: 'none', labels: { 'docksandbox-bench': runId } })
    const info = await sb.inspect()
    const container = docker.getContainer(sb.id)
    peer = await rustPeer(sb.name)

    const contenders = {
      'docksandbox (node)': async () => {
        const t0 = process.hrtime.bigint()
        const r = await sb.exec(['true'])
        const ms = Number(process.hrtime.bigint() - t0) / 1e6
        if (r.exitCode !== 0) throw new Error('exec failed')
        return ms
      },
      'docksandbox (rust core)': () => peer.call(),
      dockerode: async () => {
        // The same engine calls: create, start attached, read to the end, inspect for the code.
        const t0 = process.hrtime.bigint()
        const exec = await container.exec({ Cmd: ['true'], AttachStdout: true, AttachStderr: true, User: info.user, WorkingDir: sb.workspace })
        const stream = await exec.start({ hijack: true, stdin: false })
        await new Promise((resolve, reject) => {
          stream.on('end', resolve)
          stream.on('error', reject)
          stream.resume()
        })
        const { ExitCode } = await exec.inspect()
        const ms = Number(process.hrtime.bigint() - t0) / 1e6
        if (ExitCode !== 0) throw new Error(`dockerode exec exited with ${ExitCode}`)
        return ms
      },
    }
    const names = Object.keys(contenders)
    const samples = Object.fromEntries(names.map((n) => [n, []]))
    for (let i = 0; i < WARMUP + N; i++) {
      for (let k = 0; k < names.length; k++) {
        const name = names[(i + k) % names.length]
        const ms = await contenders[name]()
        if (i >= WARMUP) samples[name].push(ms)
      }
    }
    const server = (await docker.version()).Version
    console.log(`exec(['true']) on one running sandbox (${IMAGE}), Docker ${server}, Node ${process.version}; ${WARMUP} warm-up + ${N} measured iterations, order rotating`)
    const base = stats(samples['docksandbox (rust core)']).median
    for (const n of names) {
      const s = stats(samples[n])
      const d = s.median - base
      console.log(`${n.padEnd(24)} median ${s.median.toFixed(3)} ms  (min ${s.min.toFixed(3)}, p90 ${s.p90.toFixed(3)})  vs rust core ${d >= 0 ? '+' : ''}${d.toFixed(3)} ms`)
    }
  } finally {
    if (peer) peer.close()
    const left = await docker.listContainers({ all: true, filters: { label: [`docksandbox-bench=${runId}`] } })
    await Promise.all(left.map((c) => docker.getContainer(c.Id).remove({ force: true })))
    fs.rmSync(ws, { recursive: true, force: true })
  }
}

main().catch((e) => {
  console.error(`bench failed: [${e.code}] ${e.message}`)
  process.exit(1)
})
