// Workspace protection against the real engine: the workspace modes (`review`, `ro` with
// `writable`), a review sandbox's diff / diffText / apply / discard, the guard check, and the
// git guard. Every assertion is read on the host side, with plain `fs`.
'use strict'

const assert = require('node:assert/strict')
const { execFileSync } = require('node:child_process')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { after } = require('node:test')
const { ds, engineTest, workspace, options, run, testContainers, rejectsWith } = require('./support')

// The core's host-side state (review layers, guard records) goes to a directory of this run,
// not the user's ~/.local/state/docksandbox. Set before the first call of the package.
const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'docksandbox-node-state-'))
process.env.DOCKSANDBOX_STATE_DIR = stateDir
after(() => fs.rmSync(stateDir, { recursive: true, force: true }))

/** A template with git and bash (the busybox test image has neither). */
const BASE = 'docksandbox/base:latest'

const read = (ws, rel) => fs.readFileSync(path.join(ws, rel), 'utf8')
const exists = (ws, rel) => fs.existsSync(path.join(ws, rel))

/** `[relative path, kind]` of each change, in the core's (sorted) order. */
function kinds(changes, ws) {
  return changes.map((c) => [path.relative(ws, c.path), c.kind])
}

/** Runs `script` with `sh -c` in the sandbox; its stdout. */
async function sh(sb, script) {
  const r = await sb.exec(['sh', '-c', script])
  assert.equal(r.exitCode, 0, `${script}: ${r.stderr}`)
  return r.stdout
}

/** git on the host, in `dir`. */
function git(dir, ...args) {
  return execFileSync('git', args, {
    cwd: dir,
    env: {
      ...process.env,
      GIT_AUTHOR_NAME: 'host',
      GIT_AUTHOR_EMAIL: 'host@example.test',
      GIT_COMMITTER_NAME: 'host',
      GIT_COMMITTER_EMAIL: 'host@example.test',
    },
  }).toString()
}

engineTest('review: the host is untouched until apply brings exactly the chosen changes', async () => {
  const ws = fs.realpathSync(workspace('review'))
  fs.writeFileSync(path.join(ws, 'keep.txt'), 'kept\n')
  fs.writeFileSync(path.join(ws, 'edit.txt'), 'old line\nsame\n')
  fs.writeFileSync(path.join(ws, 'gone.txt'), 'to delete\n')
  const sb = await run({ workspace: ws, workspaceMode: 'review', network: 'none' })

  const said = await sh(sb, "echo fresh > new.txt && printf 'new line\\nsame\\n' > edit.txt && rm gone.txt && echo done")
  assert.equal(said, 'done\n')
  // The agent sees its writes; the host does not.
  assert.equal(await sh(sb, 'cat edit.txt'), 'new line\nsame\n')
  assert.equal(await sh(sb, 'test -e gone.txt || echo absent'), 'absent\n')
  const hostUnchanged = () => {
    assert.equal(read(ws, 'keep.txt'), 'kept\n')
    assert.equal(read(ws, 'edit.txt'), 'old line\nsame\n')
    assert.equal(read(ws, 'gone.txt'), 'to delete\n')
    assert.ok(!exists(ws, 'new.txt'), 'new.txt reached the host')
  }
  hostUnchanged()

  const changes = await sb.diff()
  assert.deepEqual(kinds(changes, ws), [
    ['edit.txt', 'modified'],
    ['gone.txt', 'deleted'],
    ['new.txt', 'added'],
  ])
  const by = (rel) => changes.find((c) => c.path === path.join(ws, rel))
  for (const c of changes) {
    assert.equal(c.entry, 'file')
    assert.equal(c.binary, false)
    assert.equal(c.from, undefined)
  }
  assert.equal(by('new.txt').size, 'fresh\n'.length)
  assert.equal(by('new.txt').oldMode, undefined)
  assert.equal(typeof by('new.txt').newMode, 'number')
  assert.equal(by('gone.txt').newMode, undefined)
  assert.equal(typeof by('gone.txt').oldMode, 'number')
  assert.equal(by('gone.txt').size, 'to delete\n'.length)
  assert.deepEqual(kinds(await sb.diff({ paths: ['new.txt'] }), ws), [['new.txt', 'added']])
  assert.deepEqual(kinds(await sb.diff({ paths: [path.join(ws, 'gone.txt')] }), ws), [['gone.txt', 'deleted']])
  await rejectsWith(assert, sb.diff({ paths: ['keep.txt'] }), 'INVALID_SPEC')

  const text = await sb.diffText()
  for (const needle of ['-old line', '+new line', '+fresh', '-to delete', 'edit.txt', 'gone.txt', 'new.txt']) {
    assert.ok(text.includes(needle), `diffText lacks ${needle}:\n${text}`)
  }
  const stat = await sb.diffText({ stat: true })
  assert.match(stat, /^M {2}edit\.txt$/m)
  assert.match(stat, /^D {2}gone\.txt$/m)
  assert.match(stat, /^A {2}new\.txt$/m)
  assert.match(stat, /3 changed: 1 added, 1 modified, 1 deleted, 0 renamed/)
  const oneStat = await sb.diffText({ paths: ['edit.txt'], stat: true })
  assert.ok(!oneStat.includes('new.txt'), oneStat)

  // A dry run reports everything and changes nothing.
  const dry = await sb.apply({ dryRun: true })
  assert.deepEqual(kinds(dry, ws), kinds(changes, ws))
  hostUnchanged()

  // Only the new file.
  const applied = await sb.apply({ paths: [path.join(ws, 'new.txt')] })
  assert.deepEqual(kinds(applied, ws), [['new.txt', 'added']])
  assert.equal(read(ws, 'new.txt'), 'fresh\n')
  assert.equal(read(ws, 'edit.txt'), 'old line\nsame\n')
  assert.equal(read(ws, 'gone.txt'), 'to delete\n')
  assert.deepEqual(kinds(await sb.diff(), ws), [
    ['edit.txt', 'modified'],
    ['gone.txt', 'deleted'],
  ])

  // A host edit since the sandbox saw the file: refused, naming it, nothing applied.
  fs.writeFileSync(path.join(ws, 'edit.txt'), "the user's edit\n")
  const err = await rejectsWith(assert, sb.apply(), 'SANDBOX_ERROR')
  assert.match(err.message, /edit\.txt/)
  assert.equal(read(ws, 'edit.txt'), "the user's edit\n")
  assert.equal(read(ws, 'gone.txt'), 'to delete\n', 'a refused apply deleted a file')

  // Discard drops the rest: the diff is empty, the host keeps its files, the sandbox sees them.
  const dropped = await sb.discard()
  assert.deepEqual(kinds(dropped, ws), [
    ['edit.txt', 'modified'],
    ['gone.txt', 'deleted'],
  ])
  assert.deepEqual(await sb.diff(), [])
  assert.equal(read(ws, 'edit.txt'), "the user's edit\n")
  assert.equal(read(ws, 'gone.txt'), 'to delete\n')
  assert.equal(read(ws, 'keep.txt'), 'kept\n')
  assert.equal(await sh(sb, 'cat edit.txt gone.txt'), "the user's edit\nto delete\n")
  await sb.remove()
})

engineTest('review: discard with paths drops only those; an exec vector is refused unless allowed', async () => {
  const ws = fs.realpathSync(workspace('review paths'))
  const sb = await run({ workspace: ws, workspaceMode: 'review', network: 'none' })
  await sh(sb, 'echo a > a.txt && echo b > b.txt && echo "export X=1" > .envrc')
  assert.deepEqual(kinds(await sb.discard({ paths: ['a.txt'] }), ws), [['a.txt', 'added']])
  assert.deepEqual(kinds(await sb.diff(), ws), [
    ['.envrc', 'added'],
    ['b.txt', 'added'],
  ])
  const err = await rejectsWith(assert, sb.apply(), 'SANDBOX_ERROR')
  assert.match(err.message, /\.envrc/)
  assert.ok(!exists(ws, '.envrc') && !exists(ws, 'b.txt'), 'a refused apply changed the host')
  const applied = await sb.apply({ allowExecVectors: true })
  assert.equal(applied.length, 2)
  assert.equal(read(ws, '.envrc'), 'export X=1\n')
  assert.equal(read(ws, 'b.txt'), 'b\n')
  assert.ok(!exists(ws, 'a.txt'))
  assert.deepEqual(await sb.diff(), [])
  await sb.remove()
})

engineTest('ro: the workspace refuses writes except in the writable directories', async () => {
  const ws = fs.realpathSync(workspace('read only'))
  fs.writeFileSync(path.join(ws, 'a.txt'), 'one\n')
  // `target` does not exist yet: it is made.
  const sb = await run({ workspace: ws, workspaceMode: 'ro', writable: ['target'], network: 'none' })
  const said = await sh(
    sb,
    `echo two > a.txt 2>/dev/null || echo edit-refused
     echo new > new.txt 2>/dev/null || echo create-refused
     rm a.txt 2>/dev/null || echo delete-refused
     mkdir -p target/deep && echo built > target/deep/out && echo target-written`,
  )
  assert.equal(said, 'edit-refused\ncreate-refused\ndelete-refused\ntarget-written\n')
  assert.equal(read(ws, 'a.txt'), 'one\n')
  assert.ok(!exists(ws, 'new.txt'))
  assert.equal(read(ws, 'target/deep/out'), 'built\n')
  assert.deepEqual(fs.readdirSync(ws).sort(), ['a.txt', 'target'])
  // The review methods are for review sandboxes only.
  const err = await rejectsWith(assert, sb.diff(), 'INVALID_SPEC')
  assert.match(err.message, /review/)
  await rejectsWith(assert, sb.apply(), 'INVALID_SPEC')
  await rejectsWith(assert, sb.discard(), 'INVALID_SPEC')
  await sb.remove()
})

engineTest('workspaceMode: a bogus mode, or writable outside ro, rejects with INVALID_SPEC, nothing created', async () => {
  const before = (await testContainers()).length
  const bogus = await rejectsWith(assert, ds.run(options({ workspaceMode: 'bogus' })), 'INVALID_SPEC')
  assert.match(bogus.message, /workspace_mode/)
  assert.match(bogus.message, /bogus/)
  const rw = await rejectsWith(assert, ds.run(options({ workspaceMode: 'rw', writable: ['target'] })), 'INVALID_SPEC')
  assert.match(rw.message, /writable/)
  const outside = await rejectsWith(
    assert,
    ds.run(options({ workspaceMode: 'ro', writable: ['../elsewhere'] })),
    'INVALID_SPEC',
  )
  assert.match(outside.message, /writable/)
  assert.equal((await testContainers()).length, before, 'a container was created')
})

engineTest('guardCheck: a hook of a repository made inside is reported, and fix disables it', async () => {
  const ws = fs.realpathSync(workspace('guard'))
  const sb = await run({ workspace: ws, template: BASE, network: 'none' })
  assert.equal((await sb.guardCheck()).clean, true, 'a fresh workspace reports a vector')
  const r = await sb.exec([
    'bash',
    '-c',
    "set -e; git init -q .; printf '#!/bin/sh\\necho ran\\n' > .git/hooks/post-commit; chmod +x .git/hooks/post-commit; echo planted",
  ])
  assert.equal(r.stdout, 'planted\n', r.stderr)
  const hook = path.join(ws, '.git/hooks/post-commit')
  assert.ok(fs.statSync(hook).mode & 0o111, 'the hook is executable on the host')

  const report = await sb.guardCheck()
  assert.equal(report.workspace, ws)
  assert.equal(report.baselineOf, sb.name)
  assert.equal(report.clean, false)
  assert.deepEqual(report.fixed, [])
  const v = report.vectors.find((x) => x.path === hook)
  assert.ok(v, `no vector for ${hook}: ${JSON.stringify(report.vectors)}`)
  assert.equal(v.kind, 'git-hook')
  assert.equal(v.key, 'post-commit')
  assert.match(v.fingerprint, /^[0-9a-f]+$/)
  assert.equal(report.lines.length, report.vectors.length)
  assert.ok(report.lines.some((l) => l.includes(hook)), report.lines.join('\n'))
  assert.ok(fs.existsSync(hook), 'a check without fix changed the workspace')

  // The module-level check (the client's): the same finding, against the same sandbox's record.
  const viaClient = await ds.guardCheck(ws)
  assert.equal(viaClient.baselineOf, sb.name)
  assert.deepEqual(viaClient.vectors, report.vectors)

  const fixed = await sb.guardCheck({ fix: true })
  assert.ok(fixed.fixed.length >= 1, JSON.stringify(fixed))
  assert.ok(!fs.existsSync(hook), 'the hook is still there')
  assert.ok(fs.existsSync(`${hook}.disabled`), 'the hook was not renamed post-commit.disabled')
  assert.equal((await ds.guardCheck(ws, { fix: false })).clean, true)
  await rejectsWith(assert, ds.guardCheck(path.join(ws, 'no such dir')), 'INVALID_SPEC')
  await sb.remove()
})

engineTest('gitGuard: a host repository\'s hooks are read-only inside; gitGuard: false lifts it', async () => {
  const plant =
    "printf '#!/bin/sh\\necho ran\\n' > .git/hooks/post-commit 2>/dev/null && chmod +x .git/hooks/post-commit && echo planted || echo refused"
  const repo = (name) => {
    const ws = fs.realpathSync(workspace(name))
    git(ws, 'init', '-q')
    fs.writeFileSync(path.join(ws, 'file'), 'one\n')
    git(ws, 'add', 'file')
    git(ws, 'commit', '-qm', 'one')
    return ws
  }

  const guarded = repo('guarded')
  const sb = await run({ workspace: guarded, template: BASE, network: 'none' })
  assert.equal((await sb.exec(['bash', '-c', plant])).stdout, 'refused\n')
  assert.ok(!fs.existsSync(path.join(guarded, '.git/hooks/post-commit')), 'the hook reached the host')
  // git itself still works inside.
  const status = await sb.exec(['git', 'status', '--short'])
  assert.equal(status.exitCode, 0, status.stderr)

  const open = repo('unguarded')
  const sb2 = await run({ workspace: open, template: BASE, network: 'none', gitGuard: false })
  assert.equal((await sb2.exec(['bash', '-c', plant])).stdout, 'planted\n')
  assert.equal(fs.readFileSync(path.join(open, '.git/hooks/post-commit'), 'utf8'), '#!/bin/sh\necho ran\n')
  await sb.remove()
  await sb2.remove()
})
