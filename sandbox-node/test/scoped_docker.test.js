// docker: 'scoped': the agent runs containers of its own through the sandbox's filtering
// engine proxy; what reaches the host is refused; they go with the sandbox.
'use strict'

const assert = require('node:assert/strict')
const { execFileSync } = require('node:child_process')
const { engineTest, workspace, run, BUSYBOX } = require('./support')

engineTest('docker scoped: children run, the host is refused, inspect lists them, rm takes them', async () => {
  const sb = await run({
    workspace: workspace('scoped'),
    template: 'docksandbox/base:latest',
    network: 'proxy',
    docker: 'scoped',
  })
  const child = await sb.exec(['docker', 'run', '--rm', BUSYBOX, 'echo', 'from-a-child'])
  assert.equal(child.exitCode, 0, child.stderr)
  assert.equal(child.stdout.trim(), 'from-a-child')
  const refused = await sb.exec(['docker', 'run', '--rm', '--pid', 'host', BUSYBOX, 'true'])
  assert.notEqual(refused.exitCode, 0)
  assert.match(refused.stderr, /scoped Docker access/)
  const started = await sb.exec(['docker', 'run', '-d', '--name', 'node-child', BUSYBOX, 'sleep', '60'])
  assert.equal(started.exitCode, 0, started.stderr)
  const info = await sb.inspect()
  assert.equal(info.docker, 'scoped')
  assert.deepEqual(info.children.containers, ['node-child'])
  await sb.remove()
  const left = execFileSync('docker', ['ps', '-aq', '--filter', `label=io.docksandbox.owner=${sb.name}`])
  assert.equal(left.toString(), '')
})

engineTest('docker: an unknown access is a clear error', async () => {
  await assert.rejects(run({ workspace: workspace('scoped-bad'), docker: 'root' }), (e) => {
    assert.match(e.message, /none, scoped, host/)
    return true
  })
})
