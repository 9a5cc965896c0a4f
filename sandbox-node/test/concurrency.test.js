// Concurrency, large streams, and the event loop staying free.
'use strict'

const assert = require('node:assert/strict')
const crypto = require('node:crypto')
const { engineTest, run } = require('./support')

engineTest('10 concurrent execs on one sandbox', async () => {
  const sb = await run()
  const t0 = Date.now()
  const results = await Promise.all(
    Array.from({ length: 10 }, (_, i) => sb.exec(['sh', '-c', `sleep 1; echo ${i}; echo e${i} >&2; exit ${i}`])),
  )
  const elapsed = Date.now() - t0
  results.forEach((r, i) => {
    assert.equal(r.exitCode, i)
    assert.equal(r.stdout, `${i}\n`)
    assert.equal(r.stderr, `e${i}\n`)
  })
  assert.ok(elapsed < 8_000, `the execs ran concurrently (${elapsed} ms for 10 x 1 s)`)
})

engineTest('a 100 MiB stream through execStream', async (t) => {
  const sb = await run()
  const size = 100 * 1024 * 1024
  const line = '0123456789abcdef\n'
  // What `yes LINE | head -c SIZE` writes.
  const expected = crypto.createHash('sha256')
  const block = Buffer.from(line.repeat(1024 * 64))
  let left = size
  while (left > 0) {
    const n = Math.min(left, block.length)
    expected.update(block.subarray(0, n))
    left -= n
  }
  const got = crypto.createHash('sha256')
  let bytes = 0
  let chunks = 0
  let exit
  const t0 = Date.now()
  for await (const c of sb.execStream(['sh', '-c', `yes ${line.trim()} | head -c ${size}`])) {
    if (c.data) {
      assert.equal(c.stream, 'stdout')
      got.update(c.data)
      bytes += c.data.length
      chunks++
    } else {
      exit = c.exitCode
    }
  }
  const ms = Date.now() - t0
  assert.equal(exit, 0)
  assert.equal(bytes, size)
  assert.equal(got.digest('hex'), expected.digest('hex'))
  t.diagnostic(`100 MiB in ${chunks} chunks, ${ms} ms (${((size / 1048576 / ms) * 1000).toFixed(0)} MiB/s)`)
})

engineTest('the event loop keeps running while an exec sleeps', async () => {
  const sb = await run()
  let ticks = 0
  let last = Date.now()
  let maxGap = 0
  const timer = setInterval(() => {
    const now = Date.now()
    maxGap = Math.max(maxGap, now - last)
    last = now
    ticks++
  }, 10)
  try {
    const r = await sb.exec(['sleep', '1'])
    assert.equal(r.exitCode, 0)
  } finally {
    clearInterval(timer)
  }
  assert.ok(ticks >= 40, `the timer fired ${ticks} times during a 1 s exec`)
  assert.ok(maxGap < 500, `the longest gap between ticks was ${maxGap} ms`)
})
