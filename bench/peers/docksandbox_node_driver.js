// docksandbox's npm package as a peer row for docksandbox-bench: one request line in, elapsed
// milliseconds out. Requests: ping | exec_true SANDBOX_NAME | rerun_true WORKSPACE IMAGE LABEL=VALUE
'use strict';
const path = require('node:path');
const readline = require('node:readline');
const ds = require(path.join(__dirname, '..', '..', 'sandbox-node'));

const handles = new Map();
const ops = {
  ping: () => ds.list(),
  exec_true: async (name) => {
    if (!handles.has(name)) handles.set(name, await ds.get(name));
    const t = process.hrtime.bigint();
    const r = await handles.get(name).exec(['true']);
    if (r.exitCode !== 0) throw new Error(`exit ${r.exitCode}`);
    return Number(process.hrtime.bigint() - t) / 1e6;
  },
  // `run` again on the running sandbox of WS (a handle from the first call kept, as a
  // program that made it would), then exec `true`.
  rerun_true: async (ws, image, label) => {
    const [key, ...rest] = label.split('=');
    const opts = { workspace: ws, agent: 'shell', template: image, network: 'none', labels: { [key]: rest.join('=') } };
    if (!handles.has(`rerun ${ws}`)) handles.set(`rerun ${ws}`, await ds.run(opts));
    const t = process.hrtime.bigint();
    const r = await (await ds.run(opts)).exec(['true']);
    if (r.exitCode !== 0) throw new Error(`exit ${r.exitCode}`);
    return Number(process.hrtime.bigint() - t) / 1e6;
  },
};

const rl = readline.createInterface({ input: process.stdin });
const queue = [];
let busy = false;
async function pump() {
  if (busy) return;
  busy = true;
  while (queue.length) {
    const [op, ...args] = queue.shift().trim().split(/\s+/);
    const t = process.hrtime.bigint();
    try {
      if (!ops[op]) throw new Error(`unknown op ${op}`);
      const inner = await ops[op](...args);
      const ms = typeof inner === 'number' ? inner : Number(process.hrtime.bigint() - t) / 1e6;
      process.stdout.write(`${ms}\n`);
    } catch (e) {
      process.stdout.write(`error: ${e.message}\n`);
    }
  }
  busy = false;
}
rl.on('line', (l) => { queue.push(l); pump(); });
