/**
 * Harness for the Kannel 1.4.5 end-to-end suite: free ports, the built mock as a child process
 * with its JSONL transcript, a real bearerbox + smsbox rendered from `kannel.conf.template`, and
 * an HTTP receiver for Kannel's DLR and MO callbacks. Everything binds to 127.0.0.1; every wait
 * polls with a deadline (Kannel polls too, docs/protocol.md#kannel-deliver-and-status-report).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import {
  accessSync,
  appendFileSync,
  writeFileSync,
  constants,
  closeSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
} from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FrameRecord, TranscriptRecord } from '../../src/transcript/record.js';

/** The repository root. */
export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** The built CLI (`npm run build` first). */
export const BIN = join(ROOT, 'bin', 'cimd2-mock.js');
/** The Kannel configuration template, with `@NAME@` placeholders filled in per instance. */
export const TEMPLATE = fileURLToPath(new URL('kannel.conf.template', import.meta.url));
/** Scenario files of this suite. */
export const SCENARIOS = fileURLToPath(new URL('scenarios/', import.meta.url));

const POLL_MS = 150;

/** Every child this process started and has not reaped yet; killed if the test process exits. */
const live = new Set<ChildProcess>();
process.on('exit', () => {
  for (const c of live) c.kill('SIGKILL');
});

/** Polls `probe` every 150 ms until it returns a value other than undefined; throws after the deadline. */
export async function pollUntil<T>(
  what: string,
  probe: () => T | undefined | Promise<T | undefined>,
  timeoutMs: number,
  detail?: () => string,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() >= deadline) {
      const more = detail === undefined ? '' : `\n${detail()}`;
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${more}`);
    }
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}

/** A TCP port that was free a moment ago (listen on 0, close, reuse). */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const address = server.address();
  await new Promise<void>((resolve) =>
    server.close(() => {
      resolve();
    }),
  );
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

/** A fresh temporary directory. */
export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** The absolute path of `name` on PATH (plus the sbin directories), or undefined. */
export function findExecutable(name: string): string | undefined {
  const dirs = [
    ...(process.env['PATH'] ?? '').split(delimiter),
    '/usr/sbin',
    '/usr/local/sbin',
    '/sbin',
  ];
  for (const dir of dirs) {
    if (dir === '') continue;
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** Replaces every `@NAME@` placeholder; throws when one has no value or a value is unused. */
export function renderTemplate(template: string, values: Readonly<Record<string, string>>): string {
  const used = new Set<string>();
  const out = template.replace(/@([A-Z_]+)@/g, (_m, name: string) => {
    const v = values[name];
    if (v === undefined) throw new Error(`no value for placeholder @${name}@`);
    used.add(name);
    return v;
  });
  const unused = Object.keys(values).filter((k) => !used.has(k));
  if (unused.length > 0) throw new Error(`values without placeholder: ${unused.join(', ')}`);
  return out;
}

/** Waits for a child to exit; SIGKILL after `timeoutMs`. Resolves with its code or signal. */
export async function reap(
  child: ChildProcess,
  timeoutMs: number,
): Promise<number | NodeJS.Signals> {
  const result = await new Promise<number | NodeJS.Signals>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) {
      resolve(child.exitCode ?? child.signalCode ?? 0);
      return;
    }
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      resolve(code ?? signal ?? 0);
    });
  });
  live.delete(child);
  return result;
}

function track(child: ChildProcess): ChildProcess {
  live.add(child);
  child.once('exit', () => live.delete(child));
  return child;
}

// ---------------------------------------------------------------------------------------------
// The mock

/** Options of {@link startMock}. */
export interface MockOptions {
  readonly scenario: string;
  readonly dir: string;
  readonly keepalive?: number;
  readonly extraArgs?: readonly string[];
  /** Another build of the CLI to run (default {@link BIN}). */
  readonly bin?: string;
}

/** The built mock running as a child process. */
export interface MockProcess {
  readonly port: number;
  readonly adminUrl: string;
  readonly transcriptPath: string;
  readonly child: ChildProcess;
  stderr(): string;
  /** Records written so far (complete lines only). */
  records(): TranscriptRecord[];
  /** Frame records so far, optionally filtered. */
  frames(filter?: Partial<Pick<FrameRecord, 'dir' | 'op' | 'session'>>): FrameRecord[];
  /** The first record (already written or coming) that matches. */
  waitFor<R extends TranscriptRecord>(
    what: string,
    match: (r: TranscriptRecord) => r is R,
    timeoutMs: number,
  ): Promise<R>;
  waitFor(
    what: string,
    match: (r: TranscriptRecord) => boolean,
    timeoutMs: number,
  ): Promise<TranscriptRecord>;
  /** The answer (other direction, same session and pn) to a request frame, once written. */
  answerTo(request: FrameRecord, timeoutMs: number): Promise<FrameRecord>;
  /** SIGTERM, wait for exit (SIGKILL after 10 s); resolves with the exit code. */
  stop(): Promise<number | NodeJS.Signals>;
}

/** Starts `node bin/cimd2-mock.js --port 0 …` and resolves once its readiness lines are out. */
export async function startMock(options: MockOptions): Promise<MockProcess> {
  const transcriptPath = join(options.dir, 't.jsonl');
  const args = [
    options.bin ?? BIN,
    '--port',
    '0',
    '--scenario',
    options.scenario,
    '--transcript',
    transcriptPath,
    '--admin-port',
    '0',
    '--ready-file',
    join(options.dir, 'ready.json'),
    ...(options.keepalive !== undefined ? ['--keepalive', String(options.keepalive)] : []),
    ...(options.extraArgs ?? []),
  ];
  const child = track(
    spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] }),
  );
  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr?.setEncoding('utf8').on('data', (d: string) => {
    stderr += d;
    appendFileSync(join(options.dir, 'mock.stderr'), d);
  });
  let ready: { port: number; adminUrl: string };
  try {
    ready = await pollUntil(
      'the mock readiness lines',
      () => {
        if (child.exitCode !== null)
          throw new Error(`the mock exited (${child.exitCode}): ${stderr}`);
        const lines = stdout.split('\n');
        const m1 = /^cimd2-mock listening on 127\.0\.0\.1:(\d+)$/.exec(lines[0] ?? '');
        const m2 = /^cimd2-mock admin on (http:\/\/127\.0\.0\.1:\d+)$/.exec(lines[1] ?? '');
        if (m1 === null || m2 === null) return undefined;
        return { port: Number(m1[1]), adminUrl: m2[1]! };
      },
      15_000,
      () => `stdout: ${stdout}\nstderr: ${stderr}`,
    );
  } catch (error) {
    child.kill('SIGKILL');
    await reap(child, 5000);
    throw error;
  }

  let offset = 0;
  let partial = '';
  const all: TranscriptRecord[] = [];
  const records = (): TranscriptRecord[] => {
    let buf: Buffer;
    try {
      buf = readFileSync(transcriptPath);
    } catch {
      return all;
    }
    if (buf.length > offset) {
      const text = partial + buf.subarray(offset).toString('utf8');
      offset = buf.length;
      const lines = text.split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines)
        if (line.trim() !== '') all.push(JSON.parse(line) as TranscriptRecord);
    }
    return all;
  };
  const frames = (
    filter: Partial<Pick<FrameRecord, 'dir' | 'op' | 'session'>> = {},
  ): FrameRecord[] =>
    records().filter(
      (r): r is FrameRecord =>
        r.kind === 'frame' &&
        (filter.dir === undefined || r.dir === filter.dir) &&
        (filter.op === undefined || r.op === filter.op) &&
        (filter.session === undefined || r.session === filter.session),
    );
  const tail = (): string =>
    `last transcript records:\n${records()
      .slice(-12)
      .map((r) => JSON.stringify(r))
      .join('\n')}`;
  const waitFor = (what: string, match: (r: TranscriptRecord) => boolean, timeoutMs: number) =>
    pollUntil(`transcript: ${what}`, () => records().find(match), timeoutMs, tail);
  return {
    port: ready.port,
    adminUrl: ready.adminUrl,
    transcriptPath,
    child,
    stderr: () => stderr,
    records,
    frames,
    waitFor: waitFor,
    answerTo: (request, timeoutMs) =>
      waitFor(
        `the answer to ${request.op}:${request.pn} of ${request.session}`,
        (r) =>
          r.kind === 'frame' &&
          r.dir !== request.dir &&
          r.op >= 50 &&
          r.session === request.session &&
          r.pn === request.pn &&
          r.seq > request.seq,
        timeoutMs,
      ) as Promise<FrameRecord>,
    stop: async () => {
      child.kill('SIGTERM');
      const code = await reap(child, 10_000);
      records();
      return code;
    },
  };
}

// ---------------------------------------------------------------------------------------------
// The HTTP receiver for DLR and MO callbacks

/** One callback Kannel made: path and the query values as raw bytes (Kannel URL-encodes bytes). */
export interface Hit {
  readonly path: string;
  readonly query: ReadonlyMap<string, Buffer>;
  readonly rawQuery: string;
  readonly at: number;
}

/** Decodes `application/x-www-form-urlencoded` bytes without assuming UTF-8. */
export function percentDecode(s: string): Buffer {
  const bytes: number[] = [];
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === '+') bytes.push(0x20);
    else if (c === '%' && /^[0-9A-Fa-f]{2}$/.test(s.slice(i + 1, i + 3))) {
      bytes.push(parseInt(s.slice(i + 1, i + 3), 16));
      i += 2;
    } else bytes.push(...Buffer.from(c, 'utf8'));
  }
  return Buffer.from(bytes);
}

/** Percent-encodes every byte (for sendsms `text` and `udh` with binary content). */
export function percentEncodeBytes(bytes: Buffer): string {
  return [...bytes].map((b) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`).join('');
}

/** The value of `key` as UTF-8 text ('' when absent). */
export function str(hit: Hit, key: string): string {
  return hit.query.get(key)?.toString('utf8') ?? '';
}

/** The HTTP receiver inside the test. */
export interface Receiver {
  readonly port: number;
  readonly hits: Hit[];
  waitFor(what: string, match: (h: Hit) => boolean, timeoutMs: number): Promise<Hit>;
  close(): Promise<void>;
}

/** Starts an HTTP server on 127.0.0.1:0 that records every request and answers 200 with no body. */
export async function startReceiver(): Promise<Receiver> {
  const hits: Hit[] = [];
  const server = http.createServer((req, res) => {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const rawQuery = q < 0 ? '' : url.slice(q + 1);
    const query = new Map<string, Buffer>();
    for (const pair of rawQuery.split('&')) {
      if (pair === '') continue;
      const eq = pair.indexOf('=');
      const key = percentDecode(eq < 0 ? pair : pair.slice(0, eq)).toString('utf8');
      query.set(key, percentDecode(eq < 0 ? '' : pair.slice(eq + 1)));
    }
    hits.push({ path: q < 0 ? url : url.slice(0, q), query, rawQuery, at: Date.now() });
    req.resume();
    res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '0' });
    res.end();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no receiver port');
  return {
    port: address.port,
    hits,
    waitFor: (what, match, timeoutMs) =>
      pollUntil(
        `receiver: ${what}`,
        () => hits.find(match),
        timeoutMs,
        () => `hits so far:\n${hits.map((h) => `${h.path}?${h.rawQuery}`).join('\n')}`,
      ),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => {
          resolve();
        });
      }),
  };
}

// ---------------------------------------------------------------------------------------------
// Kannel

/** Credentials and identities the rendered configuration uses. */
export const KANNEL = {
  smscId: 'cimd2-mock',
  smscUser: 'kannel',
  smscPass: 'kannelpw',
  sendsmsUser: 'tester',
  sendsmsPass: 'testerpw',
  adminPassword: 'adminpw',
} as const;

/** Options of {@link startKannel}. */
export interface KannelOptions {
  readonly smscPort: number;
  readonly receiverPort: number;
  readonly keepalive?: number;
  readonly reconnectDelay?: number;
  readonly resendFreq?: number;
  /** Wait for the SMSC to be online before resolving (default true). */
  readonly waitOnline?: boolean;
}

/** Fields of a sendsms request (values are URL-encoded by {@link Kannel.sendSms}). */
export interface SendSms {
  readonly from: string;
  readonly to: string;
  /** UTF-8 text, or raw bytes (binary, coding=1). */
  readonly text: string | Buffer;
  readonly coding?: 0 | 1 | 2;
  readonly udh?: Buffer;
  readonly validity?: number;
  readonly dlrMask?: number;
  /** Correlation id put into the dlr-url (required with dlrMask). */
  readonly ref?: string;
}

/** A running bearerbox + smsbox pair. */
export interface Kannel {
  readonly dir: string;
  readonly adminPort: number;
  readonly sendsmsPort: number;
  readonly bearerbox: ChildProcess;
  readonly smsbox: ChildProcess;
  /** The `(…)` state text of the SMSC line of status.txt, e.g. `online 3s`, or undefined. */
  smscState(): Promise<string | undefined>;
  waitOnline(timeoutMs: number): Promise<void>;
  sendSms(sms: SendSms): Promise<{ status: number; body: string }>;
  /** A log file of the work directory ('' when absent). */
  log(
    name: 'bearerbox.log' | 'smsc-cimd2.log' | 'smsbox.log' | 'access.log' | 'smsbox-access.log',
  ): string;
  waitLog(
    name: Parameters<Kannel['log']>[0],
    pattern: RegExp,
    timeoutMs: number,
  ): Promise<RegExpExecArray>;
  /** SIGTERM to bearerbox (it logs out and takes smsbox down), then smsbox; reap both. */
  stop(): Promise<{ bearerbox: number | NodeJS.Signals; smsbox: number | NodeJS.Signals }>;
  /** Removes the work directory. */
  remove(): void;
}

/** Renders the configuration into a temp dir, starts bearerbox then smsbox, and waits for both. */
export async function startKannel(options: KannelOptions): Promise<Kannel> {
  const bearerboxBin = findExecutable('bearerbox');
  const smsboxBin = findExecutable('smsbox');
  if (bearerboxBin === undefined || smsboxBin === undefined)
    throw new Error('Kannel is not installed');
  const dir = tempDir('cimd2-mock-kannel-');
  const [adminPort, smsboxPort, sendsmsPort] = [
    await freePort(),
    await freePort(),
    await freePort(),
  ];
  const conf = join(dir, 'kannel.conf');
  writeFileSync(
    conf,
    renderTemplate(readFileSync(TEMPLATE, 'utf8'), {
      ADMIN_PORT: String(adminPort),
      ADMIN_PASSWORD: KANNEL.adminPassword,
      SMSBOX_PORT: String(smsboxPort),
      WORKDIR: dir,
      RESEND_FREQ: String(options.resendFreq ?? 2),
      SMSC_ID: KANNEL.smscId,
      SMSC_PORT: String(options.smscPort),
      SMSC_USER: KANNEL.smscUser,
      SMSC_PASS: KANNEL.smscPass,
      KEEPALIVE: String(options.keepalive ?? 0),
      RECONNECT_DELAY: String(options.reconnectDelay ?? 1),
      SENDSMS_PORT: String(sendsmsPort),
      SENDSMS_USER: KANNEL.sendsmsUser,
      SENDSMS_PASS: KANNEL.sendsmsPass,
      RECEIVER_PORT: String(options.receiverPort),
    }),
  );
  const spawnBox = (bin: string, name: string): ChildProcess => {
    const out = openSync(join(dir, `${name}.stderr`), 'a');
    try {
      return track(spawn(bin, [conf], { cwd: dir, stdio: ['ignore', out, out] }));
    } finally {
      closeSync(out);
    }
  };
  const log = (name: string): string => {
    try {
      return readFileSync(join(dir, name), 'latin1');
    } catch {
      return '';
    }
  };
  const statusText = async (): Promise<string | undefined> => {
    try {
      const res = await fetch(
        `http://127.0.0.1:${adminPort}/status.txt?password=${KANNEL.adminPassword}`,
        { signal: AbortSignal.timeout(2000) },
      );
      return await res.text();
    } catch {
      return undefined;
    }
  };
  const smscState = async (): Promise<string | undefined> => {
    const text = await statusText();
    const line = text?.split('\n').find((l) => l.includes(`CIMD2:127.0.0.1:${options.smscPort}`));
    return line === undefined ? undefined : /\(([^,)]*)/.exec(line)?.[1];
  };
  const diagnostics = (): string =>
    `Kannel work directory: ${dir}\n` +
    ['bearerbox.stderr', 'smsbox.stderr', 'smsc-cimd2.log']
      .map((n) => `--- ${n} (tail)\n${log(n).split('\n').slice(-15).join('\n')}`)
      .join('\n');

  const bearerbox = spawnBox(bearerboxBin, 'bearerbox');
  let smsbox: ChildProcess | undefined;
  const stop = async (): Promise<{
    bearerbox: number | NodeJS.Signals;
    smsbox: number | NodeJS.Signals;
  }> => {
    bearerbox.kill('SIGTERM');
    const b = await reap(bearerbox, 15_000);
    if (smsbox === undefined) return { bearerbox: b, smsbox: 0 };
    const s = await Promise.race([
      reap(smsbox, 5000),
      new Promise<undefined>((r) => setTimeout(r, 5000, undefined)),
    ]);
    if (s !== undefined) return { bearerbox: b, smsbox: s };
    smsbox.kill('SIGTERM');
    return { bearerbox: b, smsbox: await reap(smsbox, 5000) };
  };
  try {
    await pollUntil(
      'bearerbox status.txt',
      async () => {
        if (bearerbox.exitCode !== null)
          throw new Error(`bearerbox exited (${bearerbox.exitCode})\n${diagnostics()}`);
        return (await statusText()) !== undefined ? true : undefined;
      },
      15_000,
      diagnostics,
    );
    smsbox = spawnBox(smsboxBin, 'smsbox');
    const sb = smsbox;
    await pollUntil(
      'smsbox sendsms port',
      async () => {
        if (sb.exitCode !== null)
          throw new Error(`smsbox exited (${sb.exitCode})\n${diagnostics()}`);
        try {
          const res = await fetch(`http://127.0.0.1:${sendsmsPort}/cgi-bin/sendsms`, {
            signal: AbortSignal.timeout(2000),
          });
          await res.text();
          return true;
        } catch {
          return undefined;
        }
      },
      15_000,
      diagnostics,
    );
  } catch (error) {
    await stop();
    throw error;
  }
  const waitOnline = async (timeoutMs: number): Promise<void> => {
    await pollUntil(
      'the SMSC online in status.txt',
      async () => ((await smscState())?.startsWith('online') === true ? true : undefined),
      timeoutMs,
      diagnostics,
    );
  };
  const kannel: Kannel = {
    dir,
    adminPort,
    sendsmsPort,
    bearerbox,
    smsbox,
    smscState,
    waitOnline,
    sendSms: async (sms) => {
      const enc = (v: string | Buffer): string =>
        typeof v === 'string' ? encodeURIComponent(v) : percentEncodeBytes(v);
      const q: [string, string][] = [
        ['username', enc(KANNEL.sendsmsUser)],
        ['password', enc(KANNEL.sendsmsPass)],
        ['from', enc(sms.from)],
        ['to', enc(sms.to)],
        ['text', enc(sms.text)],
        ['charset', 'UTF-8'],
      ];
      if (sms.coding !== undefined) q.push(['coding', String(sms.coding)]);
      if (sms.udh !== undefined) q.push(['udh', percentEncodeBytes(sms.udh)]);
      if (sms.validity !== undefined) q.push(['validity', String(sms.validity)]);
      if (sms.dlrMask !== undefined) {
        const ref = sms.ref ?? 'none';
        q.push(['dlr-mask', String(sms.dlrMask)]);
        q.push([
          'dlr-url',
          enc(
            `http://127.0.0.1:${options.receiverPort}/dlr?ref=${ref}&type=%d&fid=%F&to=%p&text=%A&smsc=%i`,
          ),
        ]);
      }
      const url = `http://127.0.0.1:${sendsmsPort}/cgi-bin/sendsms?${q.map(([k, v]) => `${k}=${v}`).join('&')}`;
      const res = await fetch(url, { signal: AbortSignal.timeout(10_000) });
      return { status: res.status, body: await res.text() };
    },
    log,
    waitLog: (name, pattern, timeoutMs) =>
      pollUntil(
        `${pattern.source} in ${name}`,
        () => pattern.exec(log(name)) ?? undefined,
        timeoutMs,
        () => `--- ${name} (tail)\n${log(name).split('\n').slice(-20).join('\n')}`,
      ),
    stop,
    remove: () => {
      rmSync(dir, { recursive: true, force: true });
    },
  };
  if (options.waitOnline !== false) {
    try {
      await waitOnline(20_000);
    } catch (error) {
      await stop();
      throw error;
    }
  }
  return kannel;
}
