// `docksandbox mcp` driven by a second client this project did not write: the MCP Inspector's
// CLI (`@modelcontextprotocol/inspector --cli`, from npm), which starts the server over stdio for
// each call: tools/list, then tools/call of sandbox_run, sandbox_exec (`pwd` is the workspace)
// and sandbox_rm.
'use strict'

const assert = require('node:assert/strict')
const fs = require('node:fs')
const path = require('node:path')
const { execFileSync } = require('node:child_process')
const { engineTest, workspace, BUSYBOX } = require('./support')

function cliBinary() {
  if (process.env.DOCKSANDBOX_BIN) return process.env.DOCKSANDBOX_BIN
  const target = process.env.CARGO_TARGET_DIR || path.join(__dirname, '..', '..', 'target')
  for (const p of [path.join(target, 'debug', 'docksandbox'), path.join(target, 'release', 'docksandbox')]) {
    if (fs.existsSync(p)) return p
  }
  throw new Error('no docksandbox binary: build sandbox-cli (cargo build -p docksandbox-cli) or set DOCKSANDBOX_BIN')
}

function inspector(root, ...args) {
  const bin = path.join(__dirname, '..', 'node_modules', '.bin', 'mcp-inspector')
  const out = execFileSync(bin, ['--cli', cliBinary(), 'mcp', '--root', root, ...args], {
    timeout: 120000,
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  return JSON.parse(out.toString())
}

engineTest('the MCP Inspector CLI lists the tools and calls them', async () => {
  const ws = fs.realpathSync(workspace('mcp-inspector'))
  const root = path.dirname(ws)
  const listed = inspector(root, '--method', 'tools/list')
  const names = listed.tools.map((t) => t.name).sort()
  assert.deepEqual(names, [
    'sandbox_diff',
    'sandbox_exec',
    'sandbox_inspect',
    'sandbox_list',
    'sandbox_list_files',
    'sandbox_network_allow',
    'sandbox_read_file',
    'sandbox_rm',
    'sandbox_run',
    'sandbox_stop',
    'sandbox_write_file',
  ])
  const call = (tool, ...kv) =>
    inspector(root, '--method', 'tools/call', '--tool-name', tool, ...kv.flatMap((a) => ['--tool-arg', a]))
  const run = call('sandbox_run', `workspace=${ws}`, `template=${BUSYBOX}`, 'network=none')
  assert.equal(run.isError, false, JSON.stringify(run))
  const name = run.structuredContent.sandbox
  try {
    const pwd = call('sandbox_exec', `sandbox=${name}`, 'argv=["pwd"]')
    assert.deepEqual([pwd.structuredContent.exit_code, pwd.structuredContent.stdout], [0, `${ws}\n`])
    const outside = call('sandbox_run', 'workspace=/tmp', `template=${BUSYBOX}`)
    assert.equal(outside.isError, true)
  } finally {
    const rm = call('sandbox_rm', `sandbox=${name}`)
    assert.equal(rm.isError, false, JSON.stringify(rm))
  }
  const gone = execFileSync('docker', ['ps', '-aq', '--filter', `name=^${name}$`]).toString().trim()
  assert.equal(gone, '')
})
