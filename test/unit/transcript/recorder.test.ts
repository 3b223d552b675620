import { expect } from 'chai';
import { SmscServer, type SmscServerOptions } from '../../../src/server/smsc-server.js';
import type { Decision, Responder } from '../../../src/server/ports.js';
import { ManualClock } from '../../../src/testing/manual-clock.js';
import { MemorySink } from '../../../src/transcript/sinks.js';
import { TranscriptRecorder, checksumOf } from '../../../src/transcript/recorder.js';
import type {
  FrameErrorRecord,
  FrameRecord,
  RecordKind,
  TranscriptRecord,
} from '../../../src/transcript/record.js';
import { connect, tick, type Peer } from '../../helpers/duplex.js';
import { wire } from '../../helpers/wire.js';
import { assertValidRecord, latin1 } from './helpers.js';

const T0 = Date.UTC(2026, 0, 1, 12, 0, 0);

describe('TranscriptRecorder', () => {
  let clock: ManualClock;
  let server: SmscServer;
  let sink: MemorySink;
  let recorder: TranscriptRecorder;

  function start(
    options: SmscServerOptions = {},
    recorderOptions: { redactPasswords?: boolean } = {},
  ): void {
    clock = new ManualClock(T0);
    server = new SmscServer({ clock, ...options });
    sink = new MemorySink();
    recorder = new TranscriptRecorder(sink, { clock, ...recorderOptions });
    recorder.attach(server);
  }

  const records = (): readonly TranscriptRecord[] => sink.records;
  const ofKind = <K extends RecordKind>(kind: K): Extract<TranscriptRecord, { kind: K }>[] =>
    sink.records.filter((r): r is Extract<TranscriptRecord, { kind: K }> => r.kind === kind);
  const frames = (): FrameRecord[] => ofKind('frame');

  async function login(peer: Peer): Promise<void> {
    peer.send('<STX>01:001<TAB>010:shop<TAB>011:secret<TAB><CS><ETX>');
    const r = await peer.next();
    expect(r.op).to.equal(51);
  }

  afterEach(async () => {
    // Every record of every test is a valid record, and seq has no gap.
    sink.records.forEach((r, i) => {
      assertValidRecord(JSON.parse(JSON.stringify(r)));
      expect(r.seq).to.equal(i + 1);
    });
    await server.close({ graceMs: 0 });
  });

  it('records a login as session-open, frame in, decision and frame out with seq 1-4 and the clock time', async () => {
    start();
    const { peer } = connect(server);
    const sent = wire('<STX>01:001<TAB>010:shop<TAB>011:secret<TAB><CS><ETX>');
    peer.send(sent);
    const answer = await peer.next();
    expect(records().map((r) => [r.seq, r.kind])).to.deep.equal([
      [1, 'session-open'],
      [2, 'frame'],
      [3, 'decision'],
      [4, 'frame'],
    ]);
    expect(records().every((r) => r.ts === '2026-01-01T12:00:00.000Z')).to.equal(true);
    expect(records()[0]).to.deep.include({ session: 'c1', remote: '10.0.0.1:40000' });
    const [inFrame, outFrame] = frames();
    expect(inFrame).to.deep.equal({
      seq: 2,
      ts: '2026-01-01T12:00:00.000Z',
      kind: 'frame',
      session: 'c1',
      dir: 'in',
      op: 1,
      opName: 'login',
      pn: 1,
      params: [
        ['010', 'shop'],
        ['011', 'secret'],
      ],
      fields: { user: 'shop' },
      checksum: 'valid',
      raw: latin1(sent),
    });
    expect(outFrame).to.deep.include({ dir: 'out', op: 51, opName: 'login-response', pn: 1 });
    expect(outFrame!.params).to.deep.equal([]);
    expect(outFrame!.checksum).to.equal('valid');
    expect(outFrame!.raw).to.equal(latin1(answer.raw));
    expect(records()[2]).to.deep.include({
      kind: 'decision',
      pn: 1,
      op: 1,
      opName: 'login',
      rule: null,
      actions: [{ kind: 'respond' }],
      afterwards: [],
    });
  });

  it('keeps parameter values as on the wire and decodes 033 text to Unicode', async () => {
    start();
    const { peer } = connect(server);
    await login(peer);
    const sent = wire(
      '<STX>03:003<TAB>021:+358401234567<TAB>023:12345<TAB>033:Hello _Oa _a"<TAB><CS><ETX>',
    );
    peer.send(sent);
    const answer = await peer.next();
    const [submit, response] = frames().slice(2);
    expect(submit!.params).to.deep.equal([
      ['021', '+358401234567'],
      ['023', '12345'],
      ['033', 'Hello _Oa _a"'],
    ]);
    expect(submit!.fields).to.deep.equal({
      destination: '+358401234567',
      originator: '12345',
      text: 'Hello @ ä',
      encoding: 'gsm7',
      dcs: 0,
    });
    expect(submit!.raw).to.equal(latin1(sent));
    const ts = answer.params.find((p) => p.code === 60)!.value;
    expect(response!.fields).to.deep.equal({ destination: '+358401234567', timestamp: ts });
    expect(Buffer.from(response!.raw, 'latin1').equals(answer.raw)).to.equal(true);
  });

  it('decodes UCS2 user data (034 with DCS 8) to text', async () => {
    start();
    const { peer } = connect(server);
    await login(peer);
    peer.send('<STX>03:003<TAB>021:123<TAB>030:8<TAB>034:0048006920AC<TAB><CS><ETX>');
    await peer.next();
    expect(frames()[2]!.fields).to.deep.equal({
      destination: '123',
      text: 'Hi€',
      encoding: 'ucs2',
      dcs: 8,
    });
  });

  it('gives binary user data as uppercase hex and the UDH with its concatenation details', async () => {
    start();
    const { peer } = connect(server);
    await login(peer);
    peer.send(
      '<STX>03:003<TAB>021:123<TAB>030:4<TAB>032:050003a70201<TAB>034:deadbeef<TAB><CS><ETX>',
    );
    await peer.next();
    const f = frames()[2]!;
    expect(f.params).to.deep.include(['034', 'deadbeef']);
    expect(f.fields).to.deep.equal({
      destination: '123',
      binary: 'DEADBEEF',
      encoding: 'binary',
      dcs: 4,
      udh: '050003A70201',
      parts: 2,
      part: 1,
      reference: 0xa7,
    });
  });

  it('records the error code and text of a refusal and the status fields of a report', () => {
    start();
    const f = recorder.recordFrame(
      'c9',
      'out',
      {
        op: 53,
        pn: 3,
        params: [
          { code: 900, value: '300' },
          { code: 901, value: 'Incorrect destination address' },
        ],
      },
      wire('<STX>53:003<TAB>900:300<TAB>901:Incorrect destination address<TAB><ETX>'),
    );
    expect(f.fields).to.deep.equal({ errorCode: 300, errorText: 'Incorrect destination address' });
    expect(f.checksum).to.equal('absent');
    const report = recorder.recordFrame(
      'c9',
      'out',
      {
        op: 23,
        pn: 0,
        params: [
          { code: 21, value: '123' },
          { code: 60, value: '260101120000' },
          { code: 61, value: '3' },
          { code: 62, value: '1' },
          { code: 63, value: '260101120005' },
        ],
      },
      wire(
        '<STX>23:000<TAB>021:123<TAB>060:260101120000<TAB>061:3<TAB>062:1<TAB>063:260101120005<TAB><CS><ETX>',
      ),
    );
    expect(report.fields).to.deep.equal({
      destination: '123',
      timestamp: '260101120000',
      statusCode: 3,
      statusName: 'failed',
      statusErrorCode: 1,
      dischargeTime: '260101120005',
    });
    expect(report.opName).to.equal('status-report');
  });

  it('records a frame with a bad checksum as a frame-error with the 99 the server sends next', async () => {
    start();
    const { peer } = connect(server);
    await login(peer);
    const bad = wire('<STX>03:003<TAB>021:123<TAB>00<ETX>');
    peer.send(bad);
    const nack = await peer.next();
    expect(nack.op).to.equal(99);
    const err = ofKind('frame-error')[0]!;
    expect(err).to.deep.include({
      session: 'c1',
      dir: 'in',
      error: 'ERR_CIMD_CHECKSUM',
      cimdErrorCode: 2,
      op: 3,
      opName: 'submit',
      pn: 3,
      raw: latin1(bad),
      answer: { op: 99, opName: 'nack', pn: 3 },
    });
    const next = records()[records().indexOf(err) + 1] as FrameRecord;
    expect(next).to.deep.include({ kind: 'frame', dir: 'out', op: 99, pn: 3 });
    expect(frames().some((f) => f.dir === 'in' && f.op === 3)).to.equal(false);
  });

  it('records a frame with bad syntax as a frame-error answered by a 98 with its error code', async () => {
    start();
    const { peer } = connect(server);
    await login(peer);
    peer.send('<STX>03:003<TAB>21:123<TAB><ETX>');
    const answer = await peer.next();
    expect(answer.op).to.equal(98);
    const err = ofKind('frame-error')[0]!;
    expect(err.error).to.equal('ERR_CIMD_SYNTAX');
    expect(err.answer).to.deep.equal({ op: 98, opName: 'general-error', pn: 3, errorCode: 2 });
    const next = records()[records().indexOf(err) + 1] as FrameRecord;
    expect(next).to.deep.include({ kind: 'frame', dir: 'out', op: 98, pn: 3 });
    expect(next.fields.errorCode).to.equal(2);
  });

  it('marks an inbound frame without a checksum, and out frames of a server that sends none, as absent', async () => {
    start({ checksum: false });
    const { peer } = connect(server);
    peer.send('<STX>01:001<TAB>010:shop<TAB>011:secret<TAB><ETX>');
    await peer.next();
    expect(frames().map((f) => f.checksum)).to.deep.equal(['absent', 'absent']);
  });

  it('replaces passwords with *** in params, raw and frame errors when asked to', async () => {
    start({}, { redactPasswords: true });
    const { peer } = connect(server);
    peer.send('<STX>01:001<TAB>010:shop<TAB>011:s3cr3t<TAB>00<ETX>');
    await peer.next();
    await login(peer);
    const login1 = frames().find((f) => f.op === 1)!;
    expect(login1.params).to.deep.equal([
      ['010', 'shop'],
      ['011', '***'],
    ]);
    expect(login1.raw).to.match(/^\x0201:001\t010:shop\t011:\*\*\*\t[0-9A-F]{2}\x03$/);
    expect(ofKind('frame-error')[0]!.raw).to.equal('\x0201:001\t010:shop\t011:***\t00\x03');
    const all = JSON.stringify(records());
    expect(all).to.not.include('secret');
    expect(all).to.not.include('s3cr3t');
  });

  it('keeps passwords when redaction is off', async () => {
    start();
    const { peer } = connect(server);
    await login(peer);
    expect(frames()[0]!.params).to.deep.include(['011', 'secret']);
  });

  it('records the decision of a responder, then an unmatched record when no rule matched', async () => {
    const responder: Responder = {
      decide: (ctx): Decision =>
        ctx.frame.op === 1
          ? {
              steps: [{ kind: 'respond' }],
              afterwards: [],
              ruleId: 'login-ok',
              explanation: 'rule login-ok',
            }
          : {
              steps: [
                { kind: 'delay', ms: 0 },
                { kind: 'error', code: 300, text: 'no' },
              ],
              afterwards: [],
              ruleId: null,
              explanation: 'no rule matched',
              unmatched: 'rule a: destination "123" does not start with "+99"',
            },
    };
    start({ responder });
    const { peer } = connect(server);
    await login(peer);
    peer.send('<STX>03:003<TAB>021:123<TAB>033:x<TAB><CS><ETX>');
    await peer.next();
    const kinds = records().map((r) => r.kind);
    expect(kinds).to.deep.equal([
      'session-open',
      'frame',
      'decision',
      'frame',
      'frame',
      'decision',
      'unmatched',
      'frame',
    ]);
    // A refused message is not recorded as assembled.
    expect(ofKind('assembled')).to.have.length(0);
    expect(records()[2]).to.deep.include({ rule: 'login-ok', explanation: 'rule login-ok' });
    expect(records()[5]).to.deep.include({
      pn: 3,
      op: 3,
      opName: 'submit',
      rule: null,
      actions: [
        { kind: 'delay', ms: 0 },
        { kind: 'error', code: 300, text: 'no' },
      ],
    });
    expect(records()[6]).to.deep.include({
      kind: 'unmatched',
      session: 'c1',
      pn: 3,
      opName: 'submit',
      explanation: 'rule a: destination "123" does not start with "+99"',
    });
  });

  it('writes respond parameters of a decision as [code, value] pairs', async () => {
    const responder: Responder = {
      decide: () => ({
        steps: [{ kind: 'respond', params: [{ code: 64, value: '1' }] }],
        afterwards: [{ kind: 'disconnect', afterMs: 5000 }],
        ruleId: 'r',
        explanation: 'r',
      }),
    };
    start({ responder });
    const { peer } = connect(server);
    await login(peer);
    expect(ofKind('decision')[0]!.actions).to.deep.equal([
      { kind: 'respond', params: [['064', '1']] },
    ]);
    expect(ofKind('decision')[0]!.afterwards).to.deep.equal([
      { kind: 'disconnect', afterMs: 5000 },
    ]);
  });

  it('records a status report as scheduled, fired, the 23 out with the 060 of its 53, and the 73 in', async () => {
    start({ statusReportDelayMs: 100 });
    const { peer } = connect(server);
    await login(peer);
    peer.send('<STX>03:003<TAB>021:123<TAB>033:x<TAB>056:8<TAB><CS><ETX>');
    const answer = await peer.next();
    const ts060 = answer.params.find((p) => p.code === 60)!.value;
    const scheduled = ofKind('scheduled')[0]!;
    expect(scheduled).to.deep.include({
      session: 'c1',
      action: { kind: 'statusReport', afterMs: 100, status: 4 },
      at: '2026-01-01T12:00:00.100Z',
    });
    await clock.advance(100);
    const report = await peer.next();
    expect(report.op).to.equal(23);
    peer.send(`<STX>73:${String(report.pn).padStart(3, '0')}<TAB><CS><ETX>`);
    await tick();
    const fired = ofKind('fired')[0]!;
    expect(fired).to.deep.include({ id: scheduled.id, ts: '2026-01-01T12:00:00.100Z' });
    const after = records().slice(records().indexOf(fired) + 1);
    expect(after.map((r) => (r.kind === 'frame' ? `${r.dir} ${r.op}` : r.kind))).to.deep.equal([
      'out 23',
      'in 73',
    ]);
    expect((after[0] as FrameRecord).fields).to.deep.include({
      destination: '123',
      timestamp: ts060,
      statusCode: 4,
      statusName: 'delivered',
    });
  });

  it('records an assembled message once both parts of a concatenated submit are answered', async () => {
    start();
    const { peer } = connect(server);
    await login(peer);
    peer.send(
      '<STX>03:003<TAB>021:123<TAB>023:9<TAB>032:050003070201<TAB>033:Hello <TAB><CS><ETX>',
    );
    const a1 = await peer.next();
    peer.send('<STX>03:005<TAB>021:123<TAB>023:9<TAB>032:050003070202<TAB>033:world<TAB><CS><ETX>');
    const a2 = await peer.next();
    const assembled = ofKind('assembled');
    expect(assembled).to.have.length(1);
    const t = (f: typeof a1): string => f.params.find((p) => p.code === 60)!.value;
    expect(assembled[0]).to.deep.include({
      session: 'c1',
      destination: '123',
      originator: '9',
      text: 'Hello world',
      encoding: 'gsm7',
      parts: 2,
      reference: 7,
      packetNumbers: [3, 5],
      timestamps: [t(a1), t(a2)],
    });
  });

  it('records a multipart set that expires incomplete', async () => {
    start({ multipartTtlMs: 1000 });
    const { peer } = connect(server);
    await login(peer);
    peer.send('<STX>03:003<TAB>021:123<TAB>023:9<TAB>032:050003090301<TAB>033:a<TAB><CS><ETX>');
    await peer.next();
    await clock.advance(1000);
    expect(ofKind('multipart-expired')).to.have.length(1);
    expect(ofKind('multipart-expired')[0]).to.deep.include({
      session: 'c1',
      destination: '123',
      originator: '9',
      reference: 9,
      total: 3,
      received: [1],
    });
  });

  it('records an ack-timeout when the client never answers a deliver', async () => {
    start({ ackTimeoutMs: 100, maxResends: 0 });
    const { peer } = connect(server);
    await login(peer);
    const done = server.sendDeliverMessage('c1', {
      destination: '123',
      originator: '456',
      text: 'MO',
    });
    const deliver = await peer.next();
    expect(deliver.op).to.equal(20);
    await clock.advance(100);
    const result = await done;
    expect(result.acknowledged).to.equal(false);
    expect(ofKind('ack-timeout')).to.deep.equal([
      {
        seq: ofKind('ack-timeout')[0]!.seq,
        ts: '2026-01-01T12:00:00.100Z',
        kind: 'ack-timeout',
        session: 'c1',
        op: 20,
        opName: 'deliver',
        pn: deliver.pn,
        attempts: 1,
      },
    ]);
    const out = frames().find((f) => f.op === 20)!;
    expect(out.fields).to.deep.include({ destination: '123', originator: '456', text: 'MO' });
  });

  it('records a response that answers nothing outstanding after its frame', async () => {
    start();
    const { peer } = connect(server);
    await login(peer);
    peer.send('<STX>70:004<TAB><CS><ETX>');
    await tick();
    const last = records().slice(-2);
    expect(last[0]).to.deep.include({ kind: 'frame', dir: 'in', op: 70, pn: 4 });
    expect(last[1]).to.deep.include({
      kind: 'unexpected-response',
      op: 70,
      opName: 'deliver-response',
      pn: 4,
    });
  });

  it('records a session-close with the code and reason', async () => {
    start();
    const { peer } = connect(server);
    await login(peer);
    await server.closeConnection('c1', 'bye');
    await tick();
    const close = ofKind('session-close')[0]!;
    expect(close.session).to.equal('c1');
    expect(close.code).to.be.a('number');
    expect(close.reason).to.be.a('string').and.not.equal('');
    expect(records().at(-1)).to.equal(close);
    expect(peer.ended).to.equal(true);
  });

  it('records other kinds through record() and continues the same seq', async () => {
    start();
    const { peer } = connect(server);
    await login(peer);
    const loaded = recorder.record('scenario-loaded', { file: 'a.yaml', name: 'A', rules: 3 });
    const rejected = recorder.record('scenario-rejected', {
      file: 'a.yaml',
      issues: [{ file: 'a.yaml', line: 3, col: 5, message: 'rules[0]: unknown key "wen"' }],
    });
    expect(loaded.seq).to.equal(5);
    expect(rejected.seq).to.equal(6);
    expect(loaded).to.not.have.property('session');
    const stop = recorder.serverStop('SIGTERM');
    expect(stop).to.deep.include({ seq: 7, kind: 'server-stop', reason: 'SIGTERM' });
    expect(stop.counts).to.deep.equal({
      records: 6,
      sessions: 1,
      framesIn: { login: 1 },
      framesOut: { 'login-response': 1 },
      frameErrors: 0,
      decisions: 1,
      unmatched: 0,
    });
  });

  it('stops recording a server after detaching', async () => {
    clock = new ManualClock(T0);
    server = new SmscServer({ clock });
    sink = new MemorySink();
    recorder = new TranscriptRecorder(sink, { clock });
    const detach = recorder.attach(server);
    detach();
    const { peer } = connect(server);
    await login(peer);
    expect(sink.records).to.have.length(0);
  });

  it('numbers records from two servers in one sequence', async () => {
    start();
    const other = new SmscServer({ clock });
    recorder.attach(other);
    const a = connect(server);
    const b = connect(other);
    await login(a.peer);
    await login(b.peer);
    expect(records().map((r) => r.seq)).to.deep.equal([1, 2, 3, 4, 5, 6, 7, 8]);
    await other.close({ graceMs: 0 });
  });
});

describe('checksumOf', () => {
  it('says valid for a matching trailer, absent without one, invalid for a wrong one', () => {
    expect(checksumOf(wire('<STX>51:001<TAB><CS><ETX>'))).to.equal('valid');
    expect(checksumOf(wire('<STX>51:001<TAB>3C<ETX>'))).to.equal('valid');
    expect(checksumOf(wire('<STX>51:001<TAB><ETX>'))).to.equal('absent');
    expect(checksumOf(wire('<STX>51:001<TAB>3D<ETX>'))).to.equal('invalid');
    expect(checksumOf(wire('<STX>51:001<TAB>3c<ETX>'))).to.equal('valid');
  });
});

describe('frame-error records', () => {
  it('say a frame longer than the limit closes the connection', async () => {
    const clock = new ManualClock(T0);
    const server = new SmscServer({ clock, maxFrameLength: 64 });
    const sink = new MemorySink();
    new TranscriptRecorder(sink, { clock }).attach(server);
    const { peer } = connect(server);
    peer.send(`<STX>03:003<TAB>033:${'x'.repeat(100)}`);
    await peer.whenEnded();
    const err = sink.records.find((r): r is FrameErrorRecord => r.kind === 'frame-error')!;
    expect(err.error).to.equal('ERR_CIMD_FRAME_TOO_LONG');
    expect(err.answer).to.deep.equal({ close: true });
    expect(sink.records.at(-1)!.kind).to.equal('session-close');
    for (const r of sink.records) assertValidRecord(JSON.parse(JSON.stringify(r)));
    await server.close({ graceMs: 0 });
  });
});
