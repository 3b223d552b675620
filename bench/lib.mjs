// Helpers shared by the bench scripts: spawning servers and waiting for their readiness line,
// per-process CPU time from /proc, medians; a built mock fed submits in this process.
import { execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { Duplex } from 'node:stream';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const CLI = fileURLToPath(new URL('../bin/cimd2-mock.js', import.meta.url));

let clockTicks;
function ticksPerSecond() {
  if (clockTicks === undefined) {
    try {
      clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      clockTicks = 100;
    }
  }
  return clockTicks;
}

/** User + system CPU time of a process (all its threads) in ms, from /proc; NaN when unreadable. */
export function cpuMs(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // fields[0] is field 3 (state); utime and stime are fields 14 and 15.
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / ticksPerSecond();
  } catch {
    return NaN;
  }
}

/** Resident set size of a process in bytes, from /proc; NaN when unreadable. */
export function rssBytes(pid) {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m === null ? NaN : Number(m[1]) * 1024;
  } catch {
    return NaN;
  }
}

export function median(values) {
  const v = values.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return NaN;
  const mid = v.length >> 1;
  return v.length % 2 === 1 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
}

/** Nearest-rank percentile of plain numbers. */
export function percentile(values, p) {
  const v = values.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return NaN;
  return v[Math.min(v.length - 1, Math.max(0, Math.ceil((p / 100) * v.length) - 1))];
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Spawns a server and resolves once its stdout printed `… listening on HOST:PORT` (and, when
 * `admin` is set, `… admin on http://HOST:PORT`). stderr is kept (last 64 KiB) for error reports.
 */
export async function startServer(
  name,
  args,
  { nodeArgs = [], admin = false, ipc = false, cwd = ROOT } = {},
) {
  const t0 = performance.now();
  const child = spawn(process.execPath, [...nodeArgs, ...args], {
    cwd,
    stdio: ['ignore', 'pipe', 'pipe', ...(ipc ? ['ipc'] : [])],
  });
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (s) => {
    stderr = (stderr + s).slice(-65536);
  });
  const ready = await new Promise((resolve, reject) => {
    let out = '';
    const info = {};
    const timer = setTimeout(() => {
      reject(new Error(`${name}: no readiness line within 15 s\n${stderr}`));
    }, 15_000);
    child.stdout.setEncoding('utf8');
    const onData = (s) => {
      out += s;
      let m = /listening on ([^\s:]+|\[[^\]]+\]):(\d+)/.exec(out);
      if (m !== null && info.port === undefined) {
        info.host = m[1];
        info.port = Number(m[2]);
        info.readyMs = performance.now() - t0;
      }
      m = /admin on (http:\/\/\S+)/.exec(out);
      if (m !== null) info.adminUrl = m[1];
      if (info.port !== undefined && (!admin || info.adminUrl !== undefined)) {
        clearTimeout(timer);
        child.stdout.off('data', onData);
        child.stdout.resume();
        resolve(info);
      }
    };
    child.stdout.on('data', onData);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited (${code ?? signal}) before it was ready\n${stderr}`));
    });
  });
  const exited = new Promise((resolve) => {
    if (child.exitCode !== null) resolve();
    else child.once('exit', () => resolve());
  });
  return {
    name,
    child,
    pid: child.pid,
    ...ready,
    stderr: () => stderr,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(killer);
    },
  };
}

/** Asks a process started with `ipc: true` and bench/mem-probe.mjs preloaded for its memoryUsage(). */
export function memoryOf(server, timeoutMs = 2000) {
  return new Promise((resolve) => {
    if (!server.child.connected) {
      resolve(undefined);
      return;
    }
    const timer = setTimeout(() => {
      server.child.off('message', onMessage);
      resolve(undefined);
    }, timeoutMs);
    const onMessage = (m) => {
      if (m !== null && typeof m === 'object' && 'memory' in m) {
        clearTimeout(timer);
        server.child.off('message', onMessage);
        resolve(m.memory);
      }
    };
    server.child.on('message', onMessage);
    server.child.send('memory', (error) => {
      if (error) {
        clearTimeout(timer);
        server.child.off('message', onMessage);
        resolve(undefined);
      }
    });
  });
}

/**
 * The built mock of `dist` (a URL of a `dist/` directory) in this process, without sockets: the
 * default scenario (and the memory transcript; `options` go to `createMockSmsc` too) gets a
 * stream in place of a socket (`server.handle`), logged in. `run(n)` feeds it chunks of `window`
 * submit frames, as a pipelining client's reads bring them, until `n` more answers were written.
 */
export async function inProcessMock(dist, { window = 32, options = {} } = {}) {
  const { createMockSmsc } = await import(new URL('index.js', dist).href);
  const { encodeFrame } = await import(new URL('protocol/index.js', dist).href);
  const mock = await createMockSmsc({ port: 0, watch: false, ...options });
  let answers = 0;
  const stream = new Duplex({
    read() {
      // Chunks are pushed by run().
    },
    write(_chunk, _encoding, cb) {
      answers++;
      cb();
    },
    writev(chunks, cb) {
      answers += chunks.length;
      cb();
    },
  });
  mock.server.handle(stream, { id: 'c1', host: '127.0.0.1', port: 1 });
  const login = [
    { code: 10, value: 'bench' },
    { code: 11, value: 'bench' },
  ];
  stream.push(encodeFrame({ op: 1, pn: 1, params: login }));
  await new Promise((r) => setImmediate(r));
  // One chunk per window: `window` submits with consecutive odd packet numbers.
  let pn = 3;
  const chunks = Array.from({ length: 64 }, () => {
    const frames = [];
    for (let k = 0; k < window; k++) {
      const params = [
        { code: 21, value: '+358401234567' },
        { code: 33, value: 'Hello from cimd2-mock bench' },
      ];
      frames.push(encodeFrame({ op: 3, pn, params }));
      pn = pn >= 253 ? 1 : pn + 2;
    }
    return Buffer.concat(frames);
  });
  async function run(n) {
    const target = answers + n;
    let k = 0;
    while (answers < target) {
      stream.push(chunks[k++ & 63]);
      // Let the stream deliver the chunks and run the write callbacks, as the event loop would.
      if ((k & 7) === 0) await new Promise((r) => setImmediate(r));
    }
    await new Promise((r) => setImmediate(r));
  }
  return { mock, run };
}
