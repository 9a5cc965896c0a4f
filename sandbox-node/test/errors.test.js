// Each error code, with the core's message.
'use strict'

const assert = require('node:assert/strict')
const { execFile } = require('node:child_process')
const { test } = require('node:test')
const path = require('node:path')
const { ds, engineTest, workspace, options, run, runId, testContainers, rejectsWith } = require('./support')

/** Runs `script` in a fresh Node process (its own engine connection) with `env`; its stdout as JSON. */
function inChild(script, env) {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ['-e', script],
      { cwd: path.join(__dirname, '..'), env: { ...process.env, ...env }, timeout: 60_000 },
      (err, stdout, stderr) => (err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(JSON.parse(stdout))),
    )
  })
}

// Needs no engine: runs everywhere.
test('DOCKER_UNAVAILABLE: no engine at DOCKER_HOST', async () => {
  const script = `
    const ds = require('.')
    const settle = (p) => p.then(() => null, (e) => ({ code: e.code, message: e.message, isError: e instanceof Error }))
    Promise.all([
      settle(ds.list()),
      settle(ds.get('anything')),
      settle(ds.run({ workspace: ${JSON.stringify(workspace())}, agent: 'shell', template: 'docksandbox/busybox:test' })),
    ]).then((r) => console.log(JSON.stringify(r)))`
  const results = await inChild(script, { DOCKER_HOST: 'unix:///nonexistent/docksandbox-test.sock' })
  for (const r of results) {
    assert.ok(r, 'the call failed')
    assert.equal(r.isError, true)
    assert.equal(r.code, 'DOCKER_UNAVAILABLE', r.message)
    assert.match(r.message, /nonexistent\/docksandbox-test\.sock/)
  }
})

engineTest('errors name the option as Node spells it', async () => {
  const cases = [
    [{ volumes: ['/definitely/missing/dir:/data'] }, 'invalid option `volumes[0]` (mounts[0].host): '],
    [{ memory: 'lots' }, 'invalid option `memory` (memory): `lots`'],
    [{ name: 'a b' }, 'invalid option `name` (name): `a b`'],
    [{ network: 'foo' }, 'invalid option `network` (network): `foo`'],
    [{ env: { 'A=B': 'x' } }, 'invalid option `env.A=B` (env.A=B): '],
  ]
  for (const [c, words] of cases) {
    const err = await rejectsWith(assert, ds.run(options(c)), 'INVALID_SPEC')
    assert.ok(err.message.startsWith(words), err.message)
  }
  const ws = workspace()
  await run({ workspace: ws })
  const err = await rejectsWith(assert, run({ workspace: ws, env: { X: '1' } }), 'CONFIG_CHANGED')
  assert.match(err.message, /option `env\.X` \(env\.X\): \(unset\) -> 1/)
  assert.match(err.message, /pass `recreate: true`/)
})

engineTest('INVALID_SPEC: refused input, nothing created', async () => {
  const before = (await testContainers()).length
  const cases = [
    { workspace: '/' },
    { workspace: '/definitely/missing/dir' },
    { memory: 'lots' },
    { memory: -1 },
    { network: 'host' },
    { credentials: 'host' },
    { agent: 'no-such-agent' },
    { agent: '' },
    { volumes: ['relative/path:/x'] },
    { env: { 'A=B': 'x' } },
  ]
  for (const c of cases) {
    const accepted = (sb) => assert.fail(`${JSON.stringify(c)} was accepted: ${sb.name}`)
    const err = await rejectsWith(assert, ds.run(options(c)).then(accepted), 'INVALID_SPEC')
    assert.match(err.message, /^invalid /, JSON.stringify(c))
  }
  assert.equal((await testContainers()).length, before, 'no container was created')

  const sb = await run()
  await rejectsWith(assert, sb.exec([]), 'INVALID_SPEC')
  await rejectsWith(assert, sb.exec(['true'], { timeoutMs: -1 }), 'INVALID_SPEC')
  await rejectsWith(assert, sb.exec(['true'], { env: { 'A=B': '1' } }), 'INVALID_SPEC')
  await rejectsWith(assert, sb.execStream([]).next(), 'INVALID_SPEC')
  await rejectsWith(assert, sb.writeFile('', 'x'), 'INVALID_SPEC')
  await rejectsWith(assert, ds.get(''), 'INVALID_SPEC')
})

engineTest('CONFIG_CHANGED: another configuration for the same sandbox; recreate replaces it', async () => {
  const ws = workspace()
  const first = await run({ workspace: ws, env: { MODE: 'a' } })
  // Options left out are no change.
  assert.equal((await run({ workspace: ws, env: { MODE: 'a' } })).id, first.id)
  const err = await rejectsWith(assert, run({ workspace: ws, env: { MODE: 'b' }, memory: '128m' }), 'CONFIG_CHANGED')
  assert.match(err.message, /recreate/)
  assert.ok(Array.isArray(err.changes))
  const fields = err.changes.map((c) => c.field)
  assert.ok(fields.includes('env.MODE'), JSON.stringify(err.changes))
  const mode = err.changes.find((c) => c.field === 'env.MODE')
  assert.equal(mode.stored, 'a')
  assert.equal(mode.requested, 'b')
  // Nothing was touched.
  assert.equal((await first.exec(['sh', '-c', 'echo $MODE'])).stdout, 'a\n')
  const replaced = await run({ workspace: ws, env: { MODE: 'b' }, recreate: true })
  assert.notEqual(replaced.id, first.id)
  assert.equal((await replaced.exec(['sh', '-c', 'echo $MODE'])).stdout, 'b\n')
})

engineTest('NOT_FOUND: no sandbox by that name or id', async () => {
  const err = await rejectsWith(assert, ds.get(`no-such-sandbox-${runId}`), 'NOT_FOUND')
  assert.match(err.message, new RegExp(`no-such-sandbox-${runId}`))
  const sb = await run()
  await sb.remove()
  await rejectsWith(assert, ds.get(sb.id), 'NOT_FOUND')
})

engineTest('EXEC_TIMEOUT: the command is killed; output so far is on the error', async () => {
  const sb = await run()
  const t0 = Date.now()
  const err = await rejectsWith(
    assert,
    sb.exec(['sh', '-c', 'echo partial; echo oops >&2; sleep 30'], { timeoutMs: 500 }),
    'EXEC_TIMEOUT',
  )
  assert.ok(Date.now() - t0 < 10_000, 'the timeout ended the call')
  assert.match(err.message, /timed out/)
  assert.deepEqual(err.stdout, Buffer.from('partial\n'))
  assert.deepEqual(err.stderr, Buffer.from('oops\n'))
  const ps = await sb.exec(['ps', '-o', 'args'])
  assert.doesNotMatch(ps.stdout, /sleep 30/, 'the command was killed')

  // The same in a stream: the chunks so far, then the rejection.
  const seen = []
  const err2 = await (async () => {
    for await (const c of sb.execStream(['sh', '-c', 'echo early; sleep 30'], { timeoutMs: 500 })) seen.push(c)
  })().catch((e) => e)
  assert.equal(err2.code, 'EXEC_TIMEOUT')
  assert.equal(Buffer.concat(seen.map((c) => c.data)).toString(), 'early\n')
})

engineTest('IMAGE_ERROR: a template that does not exist', async () => {
  const err = await rejectsWith(
    assert,
    run({ template: 'docksandbox-test/missing:never' }),
    'IMAGE_ERROR',
  )
  assert.match(err.message, /docksandbox-test\/missing:never/)
})
