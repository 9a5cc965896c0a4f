// Quick start (Node): a sandbox on the current directory, the same path inside, one command
// captured and one streamed.
//
//   (cd sandbox-node && npm ci && npm run build)          # once: builds the native addon
//   node examples/node/quickstart.js                      # shell agent, base template
//   DOCKSANDBOX_TEMPLATE=docksandbox/busybox:test node examples/node/quickstart.js
//
// In your own project, `npm install docksandbox` and `require('docksandbox')`.
'use strict'

const path = require('node:path')

let ds
try {
  ds = require('docksandbox')
} catch {
  ds = require(path.join(__dirname, '..', '..', 'sandbox-node'))
}

async function main() {
  const workspace = process.cwd()
  const sb = await ds.run({
    workspace,
    agent: 'shell',
    template: process.env.DOCKSANDBOX_TEMPLATE, // undefined: the agent's default template
  })
  console.log(`sandbox ${sb.name} (${sb.id.slice(0, 12)}) is running`)

  const r = await sb.exec(['sh', '-c', 'pwd; id -u; ls | head -5'])
  process.stdout.write(r.stdout)
  const pwd = r.stdout.split('\n')[0]
  console.log(`same-path mount: host ${workspace} == sandbox ${pwd} -> ${pwd === workspace}`)

  // Output as it comes, then the exit code.
  for await (const chunk of sb.execStream(['sh', '-c', 'for i in 1 2 3; do echo tick $i; sleep 0.2; done'])) {
    if (chunk.data) process[chunk.stream].write(chunk.data)
    else console.log(`exit code ${chunk.exitCode}`)
  }

  console.log(`(the sandbox keeps running; \`docker rm -f ${sb.name}\` removes it)`)
}

main().catch((e) => {
  console.error(`error [${e.code}]: ${e.message}`)
  process.exit(1)
})
