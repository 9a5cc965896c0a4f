// Every call of the package against the real engine.
'use strict'

const assert = require('node:assert/strict')
const fs = require('node:fs')
const path = require('node:path')
const { ds, engineTest, workspace, run, runId, TEST_LABEL, BUSYBOX } = require('./support')

engineTest('run: a handle with id, name, agent, workspace; a re-run reuses it', async () => {
  const ws = workspace('my project')
  const sb = await run({ workspace: ws })
  assert.match(sb.id, /^[0-9a-f]{64}$/)
  assert.equal(typeof sb.name, 'string')
  assert.ok(sb.name.length > 0)
  assert.equal(sb.agent, 'shell')
  assert.equal(sb.workspace, fs.realpathSync(ws))
  const again = await run({ workspace: ws })
  assert.equal(again.id, sb.id)
  // Same absolute path inside.
  const r = await sb.exec(['pwd'])
  assert.equal(r.stdout.trim(), sb.workspace)
})

engineTest('run: options reach the container (env, volumes, limits, network, name)', async () => {
  const data = workspace('data')
  fs.writeFileSync(path.join(data, 'in.txt'), 'dataset')
  const name = `ds-node-${runId}`
  const sb = await run({
    env: { GREETING: 'hello world' },
    volumes: [`${data}:/data:ro`],
    cpus: 0.5,
    memory: 64 * 1024 * 1024,
    pidsLimit: 256,
    network: 'none',
    credentials: 'none',
    mountDockerSocket: false,
    name,
    recreate: false,
  })
  assert.equal(sb.name, name)
  assert.equal((await sb.exec(['sh', '-c', 'echo "$GREETING"'])).stdout, 'hello world\n')
  assert.equal((await sb.exec(['cat', '/data/in.txt'])).stdout, 'dataset')
  const w = await sb.exec(['sh', '-c', 'echo x > /data/new'])
  assert.notEqual(w.exitCode, 0, 'the volume is read-only')
  const info = await sb.inspect()
  assert.equal(info.resources.cpus, 0.5)
  assert.equal(info.resources.memory, 64 * 1024 * 1024)
  assert.equal(info.resources.pids, 256)
  assert.equal(info.network, 'none')
  assert.equal(info.credentials, 'none')
  assert.equal(info.env.GREETING, 'hello world')
  assert.ok(info.mounts.some((m) => m.target === '/data' && m.readOnly && m.kind === 'bind'))
})

engineTest('run: memory as a string', async () => {
  const sb = await run({ memory: '96m' })
  assert.equal((await sb.inspect()).resources.memory, 96 * 1024 * 1024)
})

engineTest('exec: strings and Buffers, exit code, env, workdir, user, stdin', async () => {
  const sb = await run()
  const r = await sb.exec(['sh', '-c', 'echo out; echo err >&2; exit 3'])
  assert.equal(r.exitCode, 3)
  assert.equal(r.stdout, 'out\n')
  assert.equal(r.stderr, 'err\n')
  assert.ok(Buffer.isBuffer(r.stdoutBuffer))
  assert.ok(Buffer.isBuffer(r.stderrBuffer))
  assert.deepEqual(r.stdoutBuffer, Buffer.from('out\n'))
  assert.deepEqual(r.stderrBuffer, Buffer.from('err\n'))

  const bin = await sb.exec(['printf', '\\377\\000A'])
  assert.deepEqual(bin.stdoutBuffer, Buffer.from([0xff, 0x00, 0x41]))
  assert.equal(bin.stdout, '\ufffd\u0000A')

  const e = await sb.exec(['sh', '-c', 'echo "$A-$B"'], { env: { A: '1', B: 'two words' } })
  assert.equal(e.stdout, '1-two words\n')
  assert.equal((await sb.exec(['pwd'], { workdir: '/tmp' })).stdout, '/tmp\n')
  assert.equal((await sb.exec(['id', '-u'], { user: '0:0' })).stdout, '0\n')
  assert.equal((await sb.exec(['id', '-u'])).stdout, `${process.getuid()}\n`)
  assert.equal((await sb.exec(['cat'], { stdin: 'from stdin' })).stdout, 'from stdin')
  const bytes = Buffer.from([1, 2, 3, 0, 255])
  assert.deepEqual((await sb.exec(['cat'], { stdin: bytes })).stdoutBuffer, bytes)
  assert.equal((await sb.exec(['wc', '-c'], { stdin: new Uint8Array(10) })).stdout.trim(), '10')
  assert.equal((await sb.exec(['true'], { timeoutMs: 10_000 })).exitCode, 0)
})

engineTest('execStream: chunks as they come, then the exit code', async () => {
  const sb = await run()
  const chunks = []
  for await (const c of sb.execStream(['sh', '-c', 'echo one; sleep 0.2; echo two >&2; exit 5'])) {
    chunks.push(c)
  }
  const last = chunks.pop()
  assert.deepEqual(last, { exitCode: 5 })
  const out = Buffer.concat(chunks.filter((c) => c.stream === 'stdout').map((c) => c.data))
  const err = Buffer.concat(chunks.filter((c) => c.stream === 'stderr').map((c) => c.data))
  assert.equal(out.toString(), 'one\n')
  assert.equal(err.toString(), 'two\n')
  for (const c of chunks) assert.ok(Buffer.isBuffer(c.data))

  // Options apply; the iterator protocol is there for hand-driven use too.
  const it = sb.execStream(['sh', '-c', 'cat; echo "$X"'], { stdin: 'in\n', env: { X: 'x' } })
  let text = ''
  for (;;) {
    const { done, value } = await it.next()
    if (done) break
    if (value.data) text += value.data
    else assert.equal(value.exitCode, 0)
  }
  assert.equal(text, 'in\nx\n')
  assert.deepEqual(await it.next(), { done: true })
})

engineTest('execStream: the first chunk comes before the command ends; break detaches', async () => {
  const sb = await run()
  const t0 = Date.now()
  for await (const c of sb.execStream(['sh', '-c', 'echo first; sleep 30'])) {
    assert.equal(c.stream, 'stdout')
    assert.equal(c.data.toString(), 'first\n')
    break
  }
  assert.ok(Date.now() - t0 < 10_000, 'break does not wait for the command')
})

engineTest('writeFile / readFile: text, bytes, the same file on the host', async () => {
  const sb = await run()
  await sb.writeFile('notes.txt', 'héllo')
  assert.equal((await sb.readFile('notes.txt')).toString(), 'héllo')
  assert.equal(fs.readFileSync(path.join(sb.workspace, 'notes.txt'), 'utf8'), 'héllo')
  assert.equal(fs.statSync(path.join(sb.workspace, 'notes.txt')).uid, process.getuid())

  const bytes = Buffer.from(Array.from({ length: 256 }, (_, i) => i))
  await sb.writeFile('/tmp/bytes.bin', bytes)
  const back = await sb.readFile('/tmp/bytes.bin')
  assert.ok(Buffer.isBuffer(back))
  assert.deepEqual(back, bytes)
  await sb.writeFile('/tmp/u8.bin', new Uint8Array([7, 8, 9]))
  assert.deepEqual(await sb.readFile('/tmp/u8.bin'), Buffer.from([7, 8, 9]))
  // Written by the host, read in the sandbox.
  fs.writeFileSync(path.join(sb.workspace, 'host.txt'), 'from host')
  assert.equal((await sb.readFile(path.join(sb.workspace, 'host.txt'))).toString(), 'from host')

  const err = await sb.readFile('missing.txt').catch((e) => e)
  assert.ok(err instanceof Error)
  assert.equal(typeof err.code, 'string')
  assert.match(err.message, /missing\.txt/)
})

engineTest('inspect: status, template, workspace mount, hardened security, labels', async () => {
  const sb = await run({ labels: { team: 'node' } })
  const info = await sb.inspect()
  assert.equal(info.id, sb.id)
  assert.equal(info.name, sb.name)
  assert.equal(info.agent, 'shell')
  assert.equal(info.workspace, sb.workspace)
  assert.equal(info.template, BUSYBOX)
  assert.equal(info.status, 'running')
  assert.equal(typeof info.created, 'number')
  assert.ok(!Number.isNaN(Date.parse(info.createdAt)))
  assert.equal(info.labels.team, 'node')
  assert.equal(info.labels[TEST_LABEL], runId)
  assert.equal(info.dockerSocket, false)
  assert.deepEqual(info.warnings, [])
  assert.equal(typeof info.version, 'string')
  assert.ok(info.spec && typeof info.spec === 'object')
  assert.ok(info.mounts.some((m) => m.source === sb.workspace && m.target === sb.workspace && !m.readOnly))
  assert.equal(info.security.privileged, false)
  assert.ok(info.security.capDrop.includes('NET_RAW'))
  assert.equal(info.security.init, true)
  assert.deepEqual(info.security.hostNamespaces, [])
})

engineTest('list and get (name, id, id prefix)', async () => {
  const sb = await run()
  const all = await ds.list()
  const mine = all.find((i) => i.id === sb.id)
  assert.ok(mine, 'list() shows the sandbox')
  assert.equal(mine.name, sb.name)
  assert.equal(mine.workspace, sb.workspace)
  assert.equal(mine.status, 'running')
  assert.equal(mine.labels[TEST_LABEL], runId)
  assert.equal(mine.mounts, undefined, 'list() leaves inspect-only fields out')

  for (const ref of [sb.name, sb.id, sb.id.slice(0, 16)]) {
    const got = await ds.get(ref)
    assert.equal(got.id, sb.id)
    assert.equal(got.name, sb.name)
    assert.equal(got.agent, 'shell')
    assert.equal(got.workspace, sb.workspace)
  }
  assert.equal((await (await ds.get(sb.name)).exec(['echo', 'via get'])).stdout, 'via get\n')
})

engineTest('stop, run again, remove', async () => {
  const ws = workspace()
  const sb = await run({ workspace: ws })
  await sb.stop()
  assert.equal((await sb.inspect()).status, 'stopped')
  const again = await run({ workspace: ws })
  assert.equal(again.id, sb.id)
  assert.equal((await again.inspect()).status, 'running')
  await again.remove()
  const err = await ds.get(sb.id).catch((e) => e)
  assert.equal(err.code, 'NOT_FOUND')
  assert.ok(!(await ds.list()).some((i) => i.id === sb.id))
})

engineTest('exec: an out-of-memory kill is reported (oomKilled), another SIGKILL is not', async () => {
  const sb = await run({ workspace: workspace('oom'), memory: 64 * 1024 * 1024 })
  const r = await sb.exec(['sh', '-c', 'tail /dev/zero'])
  assert.equal(r.exitCode, 137)
  assert.equal(r.oomKilled, true)
  const k = await sb.exec(['sh', '-c', 'kill -9 $$'])
  assert.equal(k.exitCode, 137)
  assert.equal(k.oomKilled, false)
  await sb.remove()
})
