// Preloaded into the mock by the scale test (`node --import ./bench/mem-probe.mjs bin/cimd2-mock.js …`):
// answers the message "memory" on the IPC channel with process.memoryUsage(). Nothing else changes.
if (typeof process.send === 'function') {
  process.on('message', (message) => {
    if (message === 'memory') process.send({ memory: process.memoryUsage() });
  });
  process.channel?.unref();
}
