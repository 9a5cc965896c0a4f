// Shared by the test files (not a test file itself: `npm test` runs test/*.test.js).
//
// Every container a test file creates carries the label `dev.docksandbox.test-run=<run id>`
// (so do the egress proxy, network and state volume of a `proxy` sandbox, which copy the
// sandbox's labels); `after()` removes them all through dockerode (independent of the code under
// test), also when tests failed. Without an engine the tests skip with a message, except in CI (`CI=true`), where
// they fail.
'use strict'

const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { test, before, after } = require('node:test')
const Docker = require('dockerode')

const ds = require('..')

const TEST_LABEL = 'dev.docksandbox.test-run'
const BUSYBOX = 'docksandbox/busybox:test'
const runId = `node-${process.pid}-${Date.now()}`
const docker = new Docker()
const inCI = ['true', '1'].includes(process.env.CI)

let engine = null // null: not probed yet; otherwise { ok, reason }
const roots = []

async function probe() {
  if (engine) return engine
  try {
    await docker.ping()
    engine = { ok: true }
  } catch (e) {
    engine = { ok: false, reason: e.message }
  }
  return engine
}

async function removeTestContainers() {
  const filters = { label: [`${TEST_LABEL}=${runId}`] }
  const list = await docker.listContainers({ all: true, filters })
  await Promise.all(list.map((c) => docker.getContainer(c.Id).remove({ force: true }).catch(() => {})))
  // Then what the proxies used (a network or volume in use cannot be removed before).
  const networks = await docker.listNetworks({ filters })
  await Promise.all(networks.map((n) => docker.getNetwork(n.Id).remove().catch(() => {})))
  const { Volumes: volumes } = await docker.listVolumes({ filters })
  await Promise.all((volumes ?? []).map((v) => docker.getVolume(v.Name).remove().catch(() => {})))
  return list.length
}

before(async () => {
  const e = await probe()
  if (!e.ok && inCI) throw new Error(`CI=true but no Docker engine answers: ${e.reason}`)
})

after(async () => {
  if ((await probe()).ok) await removeTestContainers()
  for (const r of roots) fs.rmSync(r, { recursive: true, force: true })
})

/** A test that needs the engine: skipped with a message on a machine without one (outside CI). */
function engineTest(name, fn) {
  test(name, async (t) => {
    const e = await probe()
    if (!e.ok) {
      if (inCI) throw new Error(`CI=true but no Docker engine answers: ${e.reason}`)
      t.skip(`no Docker engine (${e.reason}); run scripts/start-docker.sh`)
      return
    }
    await fn(t)
  })
}

/** A fresh workspace directory (under /tmp: a home directory would be refused). */
function workspace(name = 'ws') {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'docksandbox-node-test-'))
  roots.push(root)
  const dir = path.join(root, name)
  fs.mkdirSync(dir)
  return dir
}

/** The options of a test sandbox: shell agent, busybox template, the test label. */
function options(extra = {}) {
  return {
    workspace: extra.workspace ?? workspace(),
    agent: 'shell',
    template: BUSYBOX,
    ...extra,
    labels: { ...(extra.labels ?? {}), [TEST_LABEL]: runId },
  }
}

/** Runs a test sandbox. */
function run(extra) {
  return ds.run(options(extra))
}

/** Containers of this run still on the engine. */
async function testContainers() {
  return docker.listContainers({ all: true, filters: { label: [`${TEST_LABEL}=${runId}`] } })
}

/** Asserts `promise` rejects with an Error carrying `code`; returns the error. */
async function rejectsWith(assert, promise, code) {
  let err
  try {
    await promise
  } catch (e) {
    err = e
  }
  assert.ok(err, `expected a rejection with code ${code}`)
  assert.ok(err instanceof Error, `not an Error: ${err}`)
  assert.equal(err.code, code, `wrong code: ${err.code}: ${err.message}`)
  assert.equal(typeof err.message, 'string')
  assert.ok(err.message.length > 0)
  return err
}

module.exports = { ds, docker, runId, TEST_LABEL, BUSYBOX, engineTest, workspace, options, run, testContainers, rejectsWith }
