// Ports (`ports`, sb.port, sb.addPort) reached from Node, ephemeral sandboxes removed by
// sb.close() and Symbol.asyncDispose, save, and bad ports and durations refused naming the option.
'use strict'

const assert = require('node:assert/strict')
const fs = require('node:fs')
const path = require('node:path')
const { execFileSync } = require('node:child_process')
const { engineTest, workspace, run, rejectsWith, testContainers } = require('./support')

async function fetchText(address) {
  for (let i = 0; i < 50; i++) {
    try {
      const r = await fetch(`http://${address}/index.html`)
      return await r.text()
    } catch {
      await new Promise((ok) => setTimeout(ok, 100))
    }
  }
  return ''
}

function exists(name) {
  return execFileSync('docker', ['ps', '-aq', '--filter', `name=^${name}$`]).toString().trim() !== ''
}

engineTest('a declared port and one added later are reached from Node', async () => {
  const ws = workspace('ports')
  fs.writeFileSync(path.join(ws, 'index.html'), 'node-port-page')
  const sb = await run({ workspace: ws, network: 'proxy', ports: ['8000'] })
  try {
    assert.equal((await sb.exec(['httpd', '-p', '8000', '-h', ws])).exitCode, 0)
    const address = await sb.port(8000)
    assert.match(address, /^127\.0\.0\.1:\d+$/)
    assert.match(await fetchText(address), /node-port-page/)
    assert.equal(await sb.port(9000), null)
    assert.equal((await sb.exec(['httpd', '-p', '9000', '-h', ws])).exitCode, 0)
    const added = await sb.addPort('9000')
    assert.equal(added.containerPort, 9000)
    assert.equal(added.forwarded, true)
    assert.match(await fetchText(`${added.hostIp}:${added.hostPort}`), /node-port-page/)
    assert.deepEqual((await sb.ports()).map((p) => p.containerPort), [8000, 9000])
    assert.equal((await sb.inspect()).ports.length, 2)
  } finally {
    await sb.remove()
  }
})

engineTest('ephemeral sandboxes are new each time and go on close() and async dispose', async () => {
  const ws = workspace('ephemeral')
  const a = await run({ workspace: ws, network: 'none', ephemeral: true })
  const b = await run({ workspace: ws, network: 'none', ephemeral: true, ttl: '1h' })
  assert.notEqual(a.name, b.name)
  await a.close()
  assert.equal(exists(a.name), false)
  await b[Symbol.asyncDispose]()
  assert.equal(exists(b.name), false)
  const lasting = await run({ workspace: ws, network: 'none' })
  await lasting.close()
  assert.equal(exists(lasting.name), true, 'a lasting sandbox is only stopped')
  await lasting.remove()
})

engineTest('a saved sandbox starts others with what was installed', async () => {
  const sb = await run({ workspace: workspace('save'), network: 'none', env: { SOME_KEY: 'node-secret-value' } })
  const tag = `docksandbox-test/node-saved:${sb.id.slice(0, 12)}`
  try {
    const out = await sb.exec(['sh', '-c', 'mkdir -p /opt/t && echo node-installed > /opt/t/m'], { user: '0:0' })
    assert.equal(out.exitCode, 0, out.stderr)
    assert.match(await sb.save(tag), /^sha256:/)
    const inspected = execFileSync('docker', ['image', 'inspect', tag]).toString()
    assert.doesNotMatch(inspected, /node-secret-value|SOME_KEY/)
    const again = await run({ workspace: workspace('from-saved'), network: 'none', template: tag, ephemeral: true })
    try {
      assert.equal((await again.exec(['cat', '/opt/t/m'])).stdout, 'node-installed\n')
    } finally {
      await again.close()
    }
  } finally {
    await sb.remove()
    try {
      execFileSync('docker', ['rmi', '-f', tag])
    } catch {}
  }
})

engineTest('bad ports and durations are refused naming the option, nothing made', async () => {
  const before = (await testContainers()).length
  for (const [opts, words] of [
    [{ ports: ['70000'] }, /ports\[0\]/],
    [{ ports: ['abc'] }, /not a number/],
    [{ ttl: '10x' }, /ttl/],
    [{ idleStop: '-1s' }, /idleStop/],
  ]) {
    const e = await rejectsWith(assert, run({ workspace: workspace('bad'), network: 'proxy', ...opts }), 'INVALID_SPEC')
    assert.match(e.message, words)
  }
  assert.equal((await testContainers()).length, before)
})
