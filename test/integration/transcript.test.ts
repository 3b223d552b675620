/** The transcript recorder on a real server over TCP on 127.0.0.1:0, written to a real file. */
import { expect } from 'chai';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDefaultResponder } from '../../src/server/default-responder.js';
import type { Responder } from '../../src/server/ports.js';
import { SmscServer } from '../../src/server/smsc-server.js';
import { CimdClient } from '../../src/testing/cimd-client.js';
import { readTranscript } from '../../src/transcript/reader.js';
import { TranscriptRecorder } from '../../src/transcript/recorder.js';
import {
  RECORD_KINDS,
  type FrameRecord,
  type RecordKind,
  type TranscriptRecord,
} from '../../src/transcript/record.js';
import { FileSink, MemorySink, TeeSink } from '../../src/transcript/sinks.js';
import { assertValidRecord } from '../unit/transcript/helpers.js';
import { wire } from '../helpers/wire.js';

interface Tapped {
  readonly client: CimdClient;
  readonly local: string;
  readonly sent: Buffer[];
  readonly received: Buffer[];
}

/** A client whose socket bytes both ways are kept, to compare with `raw`. */
async function tappedClient(port: number, options: { autoAck?: boolean } = {}): Promise<Tapped> {
  const socket = net.connect({ host: '127.0.0.1', port, noDelay: true });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  const sent: Buffer[] = [];
  const received: Buffer[] = [];
  socket.on('data', (chunk: Buffer) => received.push(Buffer.from(chunk)));
  const tap = socket as unknown as { write: (chunk: Uint8Array) => boolean };
  const write = tap.write.bind(socket);
  tap.write = (chunk) => {
    sent.push(Buffer.from(chunk));
    return write(chunk);
  };
  const client = new CimdClient(socket, { responseTimeoutMs: 5000, ...options });
  return { client, local: `127.0.0.1:${socket.localPort ?? 0}`, sent, received };
}

function rawBytes(frames: readonly { raw: string }[]): Buffer {
  return Buffer.concat(frames.map((f) => Buffer.from(f.raw, 'latin1')));
}

describe('transcript over TCP', () => {
  let dir: string;
  let server: SmscServer;
  let memory: MemorySink;
  let file: FileSink;
  let recorder: TranscriptRecorder;
  let port: number;
  const path = (): string => join(dir, 't.jsonl');
  const clients: CimdClient[] = [];

  async function start(options: ConstructorParameters<typeof SmscServer>[0] = {}): Promise<void> {
    server = new SmscServer({ statusReportDelayMs: 5, ...options });
    memory = new MemorySink();
    file = await FileSink.open(path());
    recorder = new TranscriptRecorder(new TeeSink([memory, file]));
    recorder.attach(server, { scenario: null, version: 'test' });
    ({ port } = await server.listen({ host: '127.0.0.1', port: 0 }));
  }

  async function stop(): Promise<void> {
    await Promise.all(clients.splice(0).map((c) => c.close()));
    await server.close({ graceMs: 0 });
    recorder.serverStop('test over');
    await recorder.close();
  }

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'cimd2-transcript-'));
  });

  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('records 8 concurrent sessions with gap-free seq, valid records and exact bytes both ways', async () => {
    await start();
    const tapped = await Promise.all(Array.from({ length: 8 }, () => tappedClient(port)));
    clients.push(...tapped.map((t) => t.client));
    await Promise.all(
      tapped.map(async ({ client }, i) => {
        await client.login(`user${i}`, 'pw', { window: 4 });
        await Promise.all(
          Array.from({ length: 6 }, (_, k) =>
            client.submit({
              destination: `+35840${i}${k}`,
              originator: '12345',
              text:
                k === 5
                  ? `long ${'x'.repeat(200)} ${i}`
                  : `hi ${i}.${k} ä€中`.slice(0, k === 4 ? 4 : 99),
              ...(k === 0 ? { statusReportRequest: 8 } : {}),
            }),
          ),
        );
        await client.nextStatusReport({ timeoutMs: 5000 });
      }),
    );
    // Every client acknowledged its report: wait until the server read all eight 73s.
    let last = 0;
    for (let n = 0; n < 8; n++) {
      last = (await memory.waitFor({ op: 'status-report-response' }, { afterSeq: last })).seq;
    }
    await stop();

    const t = await readTranscript(path());
    expect(t.truncated).to.equal(false);
    expect(t.records.map((r) => r.seq)).to.deep.equal(t.records.map((_, i) => i + 1));
    expect(JSON.parse(JSON.stringify(memory.records))).to.deep.equal(t.records);
    for (const r of t.records) assertValidRecord(r);
    expect(t.records[0]!.kind).to.equal('server-start');
    expect(t.records.at(-1)!.kind).to.equal('server-stop');

    for (const tap of tapped) {
      const open = t.records.find(
        (r) => r.kind === 'session-open' && r.remote === tap.local,
      ) as Extract<TranscriptRecord, { kind: 'session-open' }>;
      expect(open, `session of ${tap.local}`).to.not.equal(undefined);
      const mine = t.forSession(open.session).records;
      const inFrames = mine.filter((r): r is FrameRecord => r.kind === 'frame' && r.dir === 'in');
      const outFrames = mine.filter((r): r is FrameRecord => r.kind === 'frame' && r.dir === 'out');
      // The bytes the client wrote are exactly the in frames' raw, in wire order; likewise out.
      expect(rawBytes(inFrames).toString('latin1')).to.equal(
        Buffer.concat(tap.sent).toString('latin1'),
      );
      expect(rawBytes(outFrames).toString('latin1')).to.equal(
        Buffer.concat(tap.received).toString('latin1'),
      );
      expect(inFrames.filter((f) => f.op === 3)).to.have.length(7); // 5 single + 2 parts
      expect(mine.filter((r) => r.kind === 'assembled')).to.have.length(6);
      expect(mine.at(-1)!.kind).to.equal('session-close');
    }
    const texts = t.frames({ op: 'submit', fields: { text: { prefix: 'hi 3.1' } } });
    expect(texts.map((f) => f.fields.text)).to.deep.equal(['hi 3.1 ä€中']);
    expect(t.frames({ op: 'submit', fields: { encoding: 'ucs2' } }).length).to.be.greaterThan(0);
  });

  it('produces every record kind from real sessions, each valid against the schema', async () => {
    const fallback = createDefaultResponder({ statusReportDelayMs: 5 });
    const responder: Responder = {
      decide(ctx) {
        const d = fallback.decide(ctx);
        return ctx.frame.op === 40
          ? { ...d, unmatched: 'rule only-submits: op is "alive", not "submit"' }
          : d;
      },
    };
    await start({ responder, ackTimeoutMs: 50, maxResends: 0, multipartTtlMs: 50 });
    recorder.record('scenario-loaded', { file: 'x.yaml', source: 'file', rules: 1 });
    recorder.record('scenario-rejected', {
      file: 'x.yaml',
      source: 'api',
      issues: [{ file: 'x.yaml', line: 2, col: 3, message: 'rules[0]: unknown key "wen"' }],
    });

    const a = await tappedClient(port);
    clients.push(a.client);
    await a.client.login('shop', 'secret');
    await a.client.submit({ destination: '+358401', text: 'report me', statusReportRequest: 8 });
    await a.client.nextStatusReport({ timeoutMs: 5000 });
    await a.client.alive();
    recorder.record('reset', { epoch: 1, sessions: 'keep', cancelled: 0 });
    const frames = a.client.buildSubmits({
      destination: '+358402',
      text: 'y'.repeat(200),
      reference: 5,
    });
    await a.client.request(3, frames[0]);
    await memory.waitFor({ kind: 'multipart-expired' }, { timeoutMs: 5000 });
    a.client.send({ op: 70, pn: 100, params: [] });
    await memory.waitFor({ kind: 'unexpected-response' }, { timeoutMs: 5000 });
    a.client.sendBytes(wire('<STX>03:009<TAB>021:1<TAB>00<ETX>'));
    await memory.waitFor({ kind: 'frame-error' }, { timeoutMs: 5000 });
    // What the client judge (attached by the facade) writes about that frame.
    recorder.record(
      'finding',
      {
        check: 'bad-checksum',
        severity: 'error',
        message: 'checksum mismatch',
        frameSeq: recorder.lastSeq,
      },
      'c1',
    );

    const b = await tappedClient(port, { autoAck: false });
    clients.push(b.client);
    await b.client.login('other', 'secret');
    const session = (
      memory.records.filter((r) => r.kind === 'session-open').at(-1) as { session: string }
    ).session;
    const deliver = server.sendDeliverMessage(session, {
      destination: '123',
      originator: '456',
      text: 'MO',
    });
    expect((await deliver).acknowledged).to.equal(false);
    server.faults.apply({ bandwidth: 100_000 });
    server.faults.apply({ bandwidth: null });
    await stop();

    const t = await readTranscript(path());
    for (const r of t.records) assertValidRecord(r);
    const kinds = new Set(t.records.map((r) => r.kind));
    const all: RecordKind[] = [
      'server-start',
      'server-stop',
      'session-open',
      'session-close',
      'frame',
      'frame-error',
      'decision',
      'unmatched',
      'scheduled',
      'fired',
      'assembled',
      'multipart-expired',
      'ack-timeout',
      'unexpected-response',
      'finding',
      'scenario-loaded',
      'scenario-rejected',
      'reset',
      'fault',
    ];
    expect([...kinds].sort()).to.deep.equal([...all].sort());
    expect([...all].sort()).to.deep.equal([...RECORD_KINDS].sort());
    expect(t.records[0]).to.deep.include({
      kind: 'server-start',
      host: '127.0.0.1',
      port,
      version: 'test',
    });
    const err = t.filter({ kind: 'frame-error' })[0]!;
    expect(err).to.deep.include({
      error: 'ERR_CIMD_CHECKSUM',
      pn: 9,
      answer: { op: 99, opName: 'nack', pn: 9 },
    });
    const after = t.records[t.records.indexOf(err) + 1] as FrameRecord;
    expect(after).to.deep.include({ kind: 'frame', dir: 'out', op: 99, pn: 9 });
    const stopRecord = t.records.at(-1) as Extract<TranscriptRecord, { kind: 'server-stop' }>;
    expect(stopRecord.counts.sessions).to.equal(2);
    expect(stopRecord.counts.frameErrors).to.equal(1);
    expect(stopRecord.counts.unmatched).to.equal(1);
    expect(stopRecord.counts.records).to.equal(t.records.length - 1);
    // Every line of the file parses on its own (line-by-line appends).
    const lines = readFileSync(path(), 'utf8').split('\n');
    expect(lines.at(-1)).to.equal('');
    expect(lines.slice(0, -1).map((l) => (JSON.parse(l) as TranscriptRecord).seq)).to.deep.equal(
      t.records.map((r) => r.seq),
    );
  });
});
