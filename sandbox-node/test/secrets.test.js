// Secrets (`secrets`, `secretFiles`, `secretMode`) against the real engine: the sandbox holds a
// placeholder, never the value; bad input is refused before anything is created. No request
// leaves the sandbox: the proxy's header rewriting is the core's and the proxy's to test.
'use strict'

const assert = require('node:assert/strict')
const { execFile } = require('node:child_process')
const crypto = require('node:crypto')
const fs = require('node:fs')
const path = require('node:path')
const { ds, engineTest, workspace, options, run, testContainers, rejectsWith } = require('./support')

/** `$name` inside `sb` (busybox has no printenv): fails when the variable is unset. */
async function printenv(sb, name) {
  const r = await sb.exec(['sh', '-c', `printf '%s' "\${${name}?unset}"`])
  assert.equal(r.exitCode, 0, `${name} is set inside: ${r.stderr}`)
  return r.stdout
}

/** A value no other test (or run) uses. */
const unique = (what) => `${what}-${crypto.randomBytes(12).toString('hex')}`

/** `docker inspect` of `ids` through the docker CLI (not the code under test): its stdout. */
function dockerInspect(ids) {
  return new Promise((resolve, reject) => {
    execFile('docker', ['inspect', ...ids], { maxBuffer: 64 << 20, timeout: 60_000 }, (err, stdout, stderr) =>
      err ? reject(new Error(`docker inspect: ${err.message}\n${stderr}`)) : resolve(stdout),
    )
  })
}

/** Every container of this test run whose name starts with `name` (the sandbox and its proxy). */
async function containersOf(name) {
  const list = await testContainers()
  return list.filter((c) => c.Names.some((n) => n.replace(/^\//, '').startsWith(name)))
}

engineTest('secrets: the sandbox holds a placeholder; the value is in no container config', async () => {
  const value = unique('ds-node-real-value')
  process.env.DS_NODE_TEST_KEY = value
  try {
    const ws = workspace()
    const sb = await run({ workspace: ws, secrets: { DS_NODE_TEST_KEY: ['api.example.test'] } })
    const inside = await printenv(sb, 'DS_NODE_TEST_KEY')
    assert.ok(
      inside.startsWith('docksandbox-secret:DS_NODE_TEST_KEY:'),
      `a placeholder inside, not ${JSON.stringify(inside)}`,
    )
    assert.ok(inside.length > 'docksandbox-secret:DS_NODE_TEST_KEY:'.length, 'the placeholder has its random part')
    assert.ok(!inside.includes(value), 'the real value is not inside')
    // Nowhere in the sandbox's environment either (another variable, the agent's).
    const env = await sb.exec(['env'])
    assert.ok(!env.stdout.includes(value), 'the real value is in no variable inside')

    // Not in the engine's record of the sandbox, nor of its proxy (which reads it from a file).
    const ids = (await containersOf(sb.name)).map((c) => c.Id)
    assert.ok(ids.includes(sb.id), `the sandbox is among ${JSON.stringify(ids)}`)
    assert.ok(ids.length >= 2, `the sandbox and its egress proxy: ${JSON.stringify(ids)}`)
    const inspected = await dockerInspect(ids)
    assert.ok(inspected.includes(inside), 'docker inspect shows the placeholder (so it would show the value)')
    assert.ok(!inspected.includes(value), 'docker inspect does not contain the real value')
    // Nor in what inspect() reports.
    const info = await sb.inspect()
    assert.ok(!JSON.stringify(info).includes(value), 'inspect() does not contain the real value')
    const stored = info.spec.secrets
    assert.ok(Array.isArray(stored), JSON.stringify(info.spec))
    assert.deepEqual(
      stored.map((s) => [s.name, s.hosts]),
      [['DS_NODE_TEST_KEY', ['api.example.test']]],
    )

    // The same options again: the same sandbox, the same placeholder (no configuration drift).
    const again = await run({ workspace: ws, secrets: { DS_NODE_TEST_KEY: ['api.example.test'] } })
    assert.equal(again.id, sb.id)
    assert.equal(await printenv(again, 'DS_NODE_TEST_KEY'), inside)
  } finally {
    delete process.env.DS_NODE_TEST_KEY
  }
})

engineTest('secretFiles: the value read from a file, hosts from secrets; secretMode env', async () => {
  const value = unique('ds-node-file-value')
  const file = path.join(path.dirname(workspace()), 'secret.txt')
  fs.writeFileSync(file, `${value}\n`)
  // Proxy mode: the hosts from `secrets`, the source from `secretFiles`.
  const proxied = await run({
    secrets: { DS_NODE_FILE_KEY: ['*.example.test', 'api.example.test'] },
    secretFiles: { DS_NODE_FILE_KEY: file },
  })
  const p = await printenv(proxied, 'DS_NODE_FILE_KEY')
  assert.match(p, /^docksandbox-secret:DS_NODE_FILE_KEY:./)
  assert.ok(!p.includes(value))
  const stored = (await proxied.inspect()).spec.secrets
  assert.deepEqual(stored.map((s) => [s.name, s.source, s.hosts]), [
    ['DS_NODE_FILE_KEY', { file }, ['*.example.test', 'api.example.test']],
  ])

  // Env mode: no hosts needed, no placeholder (the core gives the value to the agent when it
  // launches it, not to exec()).
  const plain = await run({ secretFiles: { DS_NODE_FILE_KEY: file }, secretMode: 'env' })
  assert.notEqual(plain.id, proxied.id)
  const [s] = (await plain.inspect()).spec.secrets
  assert.deepEqual([s.name, s.source, s.hosts, s.mode], ['DS_NODE_FILE_KEY', { file }, [], 'env'])
  assert.equal(s.placeholder, undefined, JSON.stringify(s))
  const env = (await plain.exec(['env'])).stdout
  assert.doesNotMatch(env, /docksandbox-secret:/, 'no placeholder in env mode')
})

engineTest('secrets: bad input rejects with INVALID_SPEC, nothing created', async () => {
  const unset = `DS_NODE_UNSET_${crypto.randomBytes(6).toString('hex')}`
  delete process.env[unset]
  process.env.DS_NODE_TEST_BAD = unique('ds-node-bad')
  try {
    const before = (await testContainers()).length
    const cases = [
      // The host variable is unset.
      [{ secrets: { [unset]: ['api.example.test'] } }, new RegExp(`secrets\\[0\\].*${unset}.*unset`)],
      // An address: the value goes only to names whose certificates prove them.
      [{ secrets: { DS_NODE_TEST_BAD: ['10.0.0.1'] } }, /secrets\[0\]\.hosts\[0\].*10\.0\.0\.1/],
      // No such mode.
      [{ secrets: { DS_NODE_TEST_BAD: ['api.example.test'] }, secretMode: 'bogus' }, /secret_mode.*bogus/],
      // Only the egress proxy adds a secret.
      [{ secrets: { DS_NODE_TEST_BAD: ['api.example.test'] }, network: 'bridge' }, /secrets\[0\].*network proxy/],
      // A proxied secret with no hosts goes nowhere.
      [{ secrets: { DS_NODE_TEST_BAD: [] } }, /secrets\[0\].*goes nowhere/],
      // A file that does not exist.
      [{ secretFiles: { DS_NODE_TEST_BAD: '/definitely/missing/secret' }, secretMode: 'env' }, /secrets\[0\].*missing/],
      // The same variable as a secret and in env.
      [{ secrets: { DS_NODE_TEST_BAD: ['api.example.test'] }, env: { DS_NODE_TEST_BAD: 'x' } }, /secrets\[0\].*env/],
    ]
    for (const [c, reason] of cases) {
      const accepted = (sb) => assert.fail(`${JSON.stringify(c)} was accepted: ${sb.name}`)
      const err = await rejectsWith(assert, ds.run(options(c)).then(accepted), 'INVALID_SPEC')
      assert.match(err.message, /^invalid /, JSON.stringify(c))
      assert.match(err.message, reason, JSON.stringify(c))
    }
    assert.equal((await testContainers()).length, before, 'no container was created')
  } finally {
    delete process.env.DS_NODE_TEST_BAD
  }
})
