// Branch sandboxes from Node (`branch`, sb.branchStatus/branchDiff/branchLog/merge,
// sb.remove({ deleteBranch })) with real git on the host and inside.
'use strict'

const assert = require('node:assert/strict')
const fs = require('node:fs')
const path = require('node:path')
const { execFileSync } = require('node:child_process')
const { engineTest, workspace, run, rejectsWith } = require('./support')

const DEBIAN = 'docksandbox/base:latest'

function git(ws, ...args) {
  return execFileSync('git', ['-c', 'user.name=host', '-c', 'user.email=h@x', ...args], { cwd: ws })
    .toString()
    .trim()
}

function repo(name) {
  const ws = fs.realpathSync(workspace(name))
  git(ws, 'init', '-q', '-b', 'main')
  fs.writeFileSync(path.join(ws, 'a.txt'), 'a\n')
  git(ws, 'add', 'a.txt')
  git(ws, 'commit', '-qm', 'first')
  return ws
}

engineTest('a branch sandbox commits, is reviewed and merged from Node', async () => {
  const ws = repo('node-branch')
  const sb = await run({ workspace: ws, template: DEBIAN, branch: 'node-work' })
  try {
    assert.notEqual(sb.workspace, ws)
    const out = await sb.exec([
      'bash',
      '-c',
      "echo n > n.txt && git add n.txt && git -c user.name=a -c user.email=a@x commit -qm 'node commit'",
    ])
    assert.equal(out.exitCode, 0, out.stderr.toString())
    const st = await sb.branchStatus()
    assert.deepEqual([st.name, st.base, st.ahead, st.dirty], ['node-work', 'main', 1, false])
    assert.match(await sb.branchLog(), /node commit/)
    assert.match(await sb.branchDiff(), /\+n/)
    assert.equal((await sb.inspect()).branch.ahead, 1)
    const done = await sb.merge()
    assert.equal(done.how, 'fast-forward')
    assert.equal(git(ws, 'log', '-1', '--format=%s', 'main'), 'node commit')
  } finally {
    await sb.remove({ deleteBranch: true })
  }
  assert.equal(git(ws, 'branch', '--list', 'node-work'), '')
})

engineTest('branch names git refuses are refused naming the option', async () => {
  const ws = repo('node-bad-branch')
  const err = await rejectsWith(assert, run({ workspace: ws, template: DEBIAN, branch: 'bad..name' }), 'INVALID_SPEC')
  assert.match(err.message, /branch/)
  assert.match(err.message, /not a name git accepts/)
})
