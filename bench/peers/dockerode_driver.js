// dockerode peer for docksandbox-bench: one request line in, elapsed milliseconds out.
// Requests: ping | exec CONTAINER | run IMAGE | start_exec CONTAINER | list LABEL | cat CONTAINER BYTES
'use strict';
const readline = require('node:readline');
const Docker = require('dockerode');

const docker = new Docker();
const HOST_CONFIG = { NetworkMode: 'none', Init: true, CapDrop: ['NET_RAW', 'MKNOD'], PidsLimit: 4096 };

async function execTrue(id, cmd = ['true']) {
  const exec = await docker.getContainer(id).exec({ Cmd: cmd, AttachStdout: true, AttachStderr: true });
  const stream = await exec.start({});
  let n = 0;
  stream.on('data', (c) => { n += c.length; });
  await new Promise((resolve, reject) => { stream.on('end', resolve); stream.on('error', reject); });
  await exec.inspect();
  return n;
}

const ops = {
  ping: () => docker.ping(),
  exec: (id) => execTrue(id),
  run: async (image) => {
    const c = await docker.createContainer({ Image: image, Cmd: ['true'], HostConfig: { ...HOST_CONFIG, AutoRemove: true } });
    await c.start();
    await c.wait({ condition: 'removed' }).catch(() => {});
  },
  start_exec: async (id) => { await docker.getContainer(id).start().catch(() => {}); await execTrue(id); },
  list: (label) => docker.listContainers({ all: true, filters: { label: [label] } }),
  cat: async (id, bytes) => {
    const n = await execTrue(id, ['head', '-c', bytes, '/dev/zero']);
    // multiplexed stream: 8-byte frame headers are counted too
    if (n < Number(bytes)) throw new Error(`short read ${n}`);
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
      await ops[op](...args);
      process.stdout.write(`${Number(process.hrtime.bigint() - t) / 1e6}\n`);
    } catch (e) {
      process.stdout.write(`error: ${e.message}\n`);
    }
  }
  busy = false;
}
rl.on('line', (l) => { queue.push(l); pump(); });
