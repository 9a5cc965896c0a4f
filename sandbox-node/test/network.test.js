// sb.network against the real engine: the policy given to run(), changed live, the log.
// Nothing here needs the internet: the only request is one the proxy refuses.
'use strict'

const assert = require('node:assert/strict')
const { ds, docker, engineTest, options, run, rejectsWith } = require('./support')

// A plain-HTTP request for $1 through the sandbox's proxy (busybox has nc, no curl). nc's stdin
// stays open until the proxy has answered and closed: a client that half-closes right after its
// request may see the connection dropped before the answer.
const REQUEST = `
rm -f /tmp/req && mkfifo /tmp/req
nc docksandbox-proxy 3128 </tmp/req & exec 3>/tmp/req
printf 'GET http://%s/ HTTP/1.0\\r\\n\\r\\n' "$1" >&3
wait $!
`

engineTest('network: the policy from run(), changed live, the log; bad words refused', async () => {
  const sb = await run({
    network: { default: 'deny', allow: ['example.test'], hosts: { 'static.test': '192.0.2.10' } },
    addHosts: ['static.test:192.0.2.11'],
  })
  try {
    assert.equal((await sb.inspect()).spec.network, 'proxy', 'proxy is the default mode')
    let p = await sb.network.show()
    assert.equal(p.default, 'deny')
    assert.deepEqual(p.allow, ['example.test'])
    assert.deepEqual(p.deny, [])
    assert.deepEqual(p.hosts, { 'static.test': ['192.0.2.10', '192.0.2.11'] })
    assert.ok(Array.isArray(p.refused))

    await sb.network.allow('other.test', '*.more.test')
    p = await sb.network.show()
    assert.deepEqual(p.allow, ['example.test', 'other.test', '*.more.test'])
    await sb.network.deny('other.test')
    p = await sb.network.show()
    assert.deepEqual(p.allow, ['example.test', '*.more.test'])
    assert.deepEqual(p.deny, ['other.test'])
    await sb.network.policy('allow')
    assert.equal((await sb.network.show()).default, 'allow')

    // One refused request (no connection is made), then the log has it.
    const r = await sb.exec(['sh', '-c', REQUEST, 'sh', 'other.test'], { timeoutMs: 30_000 })
    assert.match(r.stdout, /^HTTP\/1\.0 403 /, `the proxy refused other.test: ${r.stdout}${r.stderr}`)
    const all = await sb.network.log()
    assert.ok(Array.isArray(all))
    let denied = []
    for (let i = 0; i < 50 && !denied.some((e) => e.host === 'other.test'); i++) {
      if (i > 0) await new Promise((resolve) => setTimeout(resolve, 100)) // the entry is written as the connection ends
      denied = await sb.network.log({ denied: true })
    }
    const entry = denied.find((e) => e.host === 'other.test')
    assert.ok(entry, JSON.stringify(all))
    assert.equal(entry.decision, 'deny')
    assert.equal(entry.port, 80)
    assert.equal(typeof entry.bytesUp, 'number')
    assert.ok(denied.every((e) => e.decision === 'deny'))

    // Followed: the entries so far come first; return() stops reading.
    const it = sb.network.log({ follow: true, denied: true })
    for await (const e of it) {
      assert.equal(e.decision, 'deny')
      break
    }
    assert.deepEqual(await it.next(), { done: true })

    const bad = await rejectsWith(assert, sb.network.allow('exa mple'), 'INVALID_SPEC')
    assert.match(bad.message, /hosts\[0\]/)
    await rejectsWith(assert, sb.network.deny('ok.test', '10.0.0.0/33'), 'INVALID_SPEC')
    const d = await rejectsWith(assert, sb.network.policy('block'), 'INVALID_SPEC')
    assert.match(d.message, /default/)
    assert.deepEqual((await sb.network.show()).deny, ['other.test'], 'nothing changed')
  } finally {
    await sb.remove()
  }
  const left = await docker.listContainers({ all: true, filters: { name: [`${sb.name}-proxy`] } })
  assert.deepEqual(left, [], 'the proxy went with the sandbox')
})

engineTest('network: bad options are INVALID_SPEC, nothing created', async () => {
  const cases = [
    [{ network: { default: 'deny', alow: ['x.test'] } }, /unknown key `alow`/],
    [{ network: { allow: 'x.test' } }, /network\.allow/],
    [{ network: 5 }, /network/],
    [{ network: { mode: 'host' } }, /network/],
    [{ allowHosts: ['exa mple'] }, /allow_hosts\[0\]/],
    [{ network: { deny: ['ok.test', '*.com'] } }, /deny_hosts\[1\]/],
    [{ networkPolicy: 'block' }, /network_policy/],
    [{ network: { default: 'deny' }, networkPolicy: 'deny' }, /given twice/],
    [{ addHosts: ['nocolon'] }, /add_hosts\[0\]/],
    [{ network: { presets: ['no-such-preset'] } }, /presets\[0\]/],
  ]
  for (const [c, message] of cases) {
    const accepted = (sb) => assert.fail(`${JSON.stringify(c)} was accepted: ${sb.name}`)
    const err = await rejectsWith(assert, ds.run(options(c)).then(accepted), 'INVALID_SPEC')
    assert.match(err.message, message, JSON.stringify(c))
  }
})

engineTest('network: policy calls on a sandbox without a proxy are INVALID_SPEC', async () => {
  const sb = await run({ network: 'none' })
  try {
    const err = await rejectsWith(assert, sb.network.show(), 'INVALID_SPEC')
    assert.match(err.message, /proxy/)
    await rejectsWith(assert, sb.network.allow('x.test'), 'INVALID_SPEC')
    await rejectsWith(assert, sb.network.log(), 'INVALID_SPEC')
  } finally {
    await sb.remove()
  }
})
