// ds.pool(): sandboxes made in the background, each handed out once (also to 32 takers at
// once), removed by `await using`, by pool.close(), and bad options refused before anything.
'use strict'

const assert = require('node:assert/strict')
const fs = require('node:fs')
const { execFileSync } = require('node:child_process')
const { ds, engineTest, runId, TEST_LABEL, BUSYBOX, rejectsWith } = require('./support')

function members(pool) {
  return execFileSync('docker', ['ps', '-aq', '--filter', `label=docksandbox.pool=${pool}`])
    .toString()
    .split('\n')
    .filter(Boolean)
}

const options = (more = {}) => ({
  template: BUSYBOX,
  network: 'none',
  labels: { [TEST_LABEL]: runId },
  ...more,
})

engineTest('a taken sandbox runs in its own empty workspace; close removes every one', async () => {
  const pool = await ds.pool(options({ size: 2 }))
  await pool.waitReady()
  assert.deepEqual(
    (({ size, ready, taken }) => ({ size, ready, taken }))(pool.status()),
    { size: 2, ready: 2, taken: 0 },
  )
  const sb = await pool.take()
  const r = await sb.exec(['sh', '-c', 'pwd; ls -A | wc -l'])
  assert.equal(r.stdout, `${sb.workspace}\n0\n`)
  assert.ok(fs.existsSync(sb.workspace))
  assert.equal(pool.status().taken, 1)
  await pool.close()
  assert.deepEqual(members(pool.name), [])
  assert.ok(!fs.existsSync(sb.workspace), 'its workspace stayed')
  assert.match((await rejectsWith(assert, pool.take(), 'INVALID_SPEC')).message, /closed/)
})

engineTest('thirty-two concurrent takers each get their own sandbox', async () => {
  const pool = await ds.pool(options({ size: 4 }))
  const taken = await Promise.all(Array.from({ length: 32 }, () => pool.take()))
  assert.equal(new Set(taken.map((s) => s.id)).size, 32, 'a sandbox was handed out twice')
  const outs = await Promise.all(taken.slice(0, 4).map((s) => s.exec(['echo', 'x'])))
  assert.deepEqual(outs.map((o) => o.stdout), ['x\n', 'x\n', 'x\n', 'x\n'])
  await pool.close()
  assert.deepEqual(members(pool.name), [])
})

engineTest('bad options are refused and nothing is made', async () => {
  assert.match((await rejectsWith(assert, ds.pool(options({ size: 0 })), 'INVALID_SPEC')).message, /1 to 256/)
  assert.match((await rejectsWith(assert, ds.pool(options({ name: 'bad name' })), 'INVALID_SPEC')).message, /letters, digits/)
  assert.match((await rejectsWith(assert, ds.pool(options({ memory: 'lots' })), 'INVALID_SPEC')).message, /memory/)
})
