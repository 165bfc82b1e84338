// Preloaded (`node --require`) into every thread of the profiled worker process. In a worker thread (where the
// SDK runs workflows) it answers the main thread's requests on a BroadcastChannel: heap statistics after an
// optional forced GC (`--expose-gc`), or a heap snapshot. process.memoryUsage() in the main thread sees only the
// main isolate's heap; workflow state lives in the thread's isolate.
const { BroadcastChannel, isMainThread, threadId } = require('node:worker_threads');
const v8 = require('node:v8');
const path = require('node:path');
const process = require('node:process');

const CHANNEL = 'mau-memory-probe';

if (!isMainThread) {
  const channel = new BroadcastChannel(CHANNEL);
  channel.unref();
  channel.onmessage = (event) => {
    const request = event.data;
    if (!request || request.kind !== 'request') return;
    if (request.gc && typeof globalThis.gc === 'function') globalThis.gc();
    let snapshot;
    if (request.snapshotDir) {
      snapshot = v8.writeHeapSnapshot(path.join(request.snapshotDir, `thread-${threadId}.heapsnapshot`));
    }
    channel.postMessage({
      kind: 'reply',
      id: request.id,
      threadId,
      heap: v8.getHeapStatistics(),
      spaces: v8.getHeapSpaceStatistics().map((s) => ({ name: s.space_name, used: s.space_used_size })),
      memory: process.memoryUsage(),
      snapshot,
    });
  };
}

module.exports = { CHANNEL };
