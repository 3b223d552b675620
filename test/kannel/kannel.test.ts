/**
 * The built mock against a real Kannel 1.4.5 (Debian package `kannel`), end to end.
 * Every case is asserted on both sides: Kannel's DLR/MO callbacks and logs, and the mock's
 * JSONL transcript. Expected wire values are written by hand from docs/protocol.md#kannel-145-as-a-client.
 */
import { expect } from 'chai';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type {
  AssembledRecord,
  FrameRecord,
  TranscriptRecord,
} from '../../src/transcript/record.js';
import {
  findExecutable,
  KANNEL,
  pollUntil,
  SCENARIOS,
  startKannel,
  startMock,
  startReceiver,
  str,
  tempDir,
  type Hit,
  type Kannel,
  type MockProcess,
  type Receiver,
  type SendSms,
} from './harness.js';

/** Kannel answers and DLRs come after its polling interval: allow seconds. */
const WAIT = 15_000;

function requireKannel(ctx: Mocha.Context): void {
  if (findExecutable('bearerbox') !== undefined && findExecutable('smsbox') !== undefined) return;
  const message =
    'Kannel 1.4.5 is not installed (no bearerbox/smsbox on PATH or in /usr/sbin): ' +
    'apt-get install -y kannel (.ci/run does this in CI)';
  if (process.env['CI'] === 'true') throw new Error(message);
  process.stdout.write(`  skipping the Kannel suite: ${message}\n`);
  ctx.skip();
}

/** UTF-16BE bytes of `text`, computed without the code under test. */
function utf16be(text: string): Buffer {
  return Buffer.from(text, 'utf16le').swap16();
}

/** The MO text as the sms-service saw it: %b bytes in the %C charset. */
function moText(hit: Hit): string {
  const bytes = Buffer.from(hit.query.get('text') ?? Buffer.alloc(0));
  const charset = str(hit, 'charset');
  if (charset === 'UTF-16BE') return bytes.swap16().toString('utf16le');
  expect(charset).to.equal('UTF-8');
  return bytes.toString('utf8');
}

function isFrame(r: TranscriptRecord): r is FrameRecord {
  return r.kind === 'frame';
}

function param(frame: FrameRecord, code: string): string | undefined {
  return frame.params.find(([c]) => c === code)?.[1];
}

/** A running mock + Kannel + receiver, and helpers over them. */
interface Rig {
  dir: string;
  mock: MockProcess;
  receiver: Receiver;
  kannel: Kannel;
}

async function startRig(options: {
  scenario: string;
  dir: string;
  mockKeepalive?: number;
  kannelKeepalive?: number;
  waitOnline?: boolean;
}): Promise<Rig> {
  const receiver = await startReceiver();
  const mock = await startMock({
    scenario: options.scenario,
    dir: options.dir,
    ...(options.mockKeepalive !== undefined ? { keepalive: options.mockKeepalive } : {}),
  });
  try {
    const kannel = await startKannel({
      smscPort: mock.port,
      receiverPort: receiver.port,
      keepalive: options.kannelKeepalive ?? 0,
      reconnectDelay: 1,
      resendFreq: 2,
      waitOnline: options.waitOnline ?? true,
    });
    return { dir: options.dir, mock, receiver, kannel };
  } catch (error) {
    const exit = mock.child.exitCode ?? mock.child.signalCode;
    await mock.stop();
    await receiver.close();
    const mockState =
      exit === null ? 'the mock was still running' : `the mock had exited (${String(exit)})`;
    throw new Error(
      `${error instanceof Error ? error.message : String(error)}\n${mockState}; ` +
        `mock stderr (tail):\n${mock.stderr().split('\n').slice(-20).join('\n')}\n` +
        `kept: ${options.dir}`,
      { cause: error },
    );
  }
}

async function stopRig(rig: Rig | undefined, keep: boolean): Promise<void> {
  if (rig === undefined) return;
  await rig.kannel.stop();
  await rig.mock.stop();
  await rig.receiver.close();
  if (keep) {
    process.stdout.write(
      `  kept for inspection: ${rig.dir} (mock) and ${rig.kannel.dir} (Kannel)\n`,
    );
  } else {
    rig.kannel.remove();
    rmSync(rig.dir, { recursive: true, force: true });
  }
}

async function send(rig: Rig, sms: SendSms): Promise<void> {
  const res = await rig.kannel.sendSms(sms);
  expect(res.status, res.body).to.equal(202);
  expect(res.body).to.match(/^0: Accepted for delivery/);
}

/** The inbound submit (03) whose decoded fields satisfy `match`. */
function submitFrame(
  rig: Rig,
  what: string,
  match: (f: FrameRecord) => boolean,
): Promise<FrameRecord> {
  return rig.mock.waitFor(
    what,
    (r): r is FrameRecord => isFrame(r) && r.dir === 'in' && r.op === 3 && match(r),
    WAIT,
  );
}

function dlr(rig: Rig, ref: string, type: number): Promise<Hit> {
  return rig.receiver.waitFor(
    `DLR type ${type} for ${ref}`,
    (h) => h.path === '/dlr' && str(h, 'ref') === ref && str(h, 'type') === String(type),
    WAIT,
  );
}

function dlrsOf(rig: Rig, ref: string): Hit[] {
  return rig.receiver.hits.filter((h) => h.path === '/dlr' && str(h, 'ref') === ref);
}

/** The outbound status report (23) for (060, destination), and Kannel's 73 to it. */
async function statusReport(
  rig: Rig,
  timestamp: string,
  destination: string,
): Promise<FrameRecord> {
  const report = await rig.mock.waitFor(
    `a status report for ${destination} ${timestamp}`,
    (r): r is FrameRecord =>
      isFrame(r) &&
      r.dir === 'out' &&
      r.op === 23 &&
      r.fields.timestamp === timestamp &&
      r.fields.destination === destination,
    WAIT,
  );
  const ack = await rig.mock.answerTo(report, WAIT);
  expect(ack.op).to.equal(73);
  return report;
}

describe('Kannel 1.4.5 against cimd2-mock (e2e)', function () {
  this.timeout(60_000);

  before(function () {
    requireKannel(this);
  });

  describe('one Kannel instance (keepalive = 5) against the scenario kannel.yaml', function () {
    let rig: Rig | undefined;
    let failed = false;
    const r = (): Rig => rig!;

    before(async function () {
      rig = await startRig({
        scenario: join(SCENARIOS, 'kannel.yaml'),
        dir: tempDir('cimd2-mock-kannel-e2e-'),
        mockKeepalive: 10,
        kannelKeepalive: 5,
      });
    });

    afterEach(function () {
      if (this.currentTest?.state === 'failed') failed = true;
    });

    after(async function () {
      await stopRig(rig, failed);
    });

    it('1. answers a plain GSM MT 53 OK with a 060 unique per destination; Kannel reports DLR 1 for each message', async () => {
      const to = '+358401000001';
      await send(r(), { from: '12345', to, text: 'Plain text one', dlrMask: 31, ref: 'c1a' });
      await send(r(), { from: '12345', to, text: 'Plain text two', dlrMask: 31, ref: 'c1b' });
      const [a, b] = [
        await submitFrame(r(), 'first', (f) => f.fields.text === 'Plain text one'),
        await submitFrame(r(), 'second', (f) => f.fields.text === 'Plain text two'),
      ];
      expect(param(a, '056')).to.equal('14');
      const [okA, okB] = [await r().mock.answerTo(a, WAIT), await r().mock.answerTo(b, WAIT)];
      for (const ok of [okA, okB]) {
        expect(ok.op).to.equal(53);
        expect(param(ok, '900')).to.equal(undefined);
        expect(ok.fields.timestamp).to.match(/^\d{12}$/);
      }
      // Same destination, same second: the 060s must still differ, or Kannel mixes up the DLRs.
      expect(okA.fields.timestamp).to.not.equal(okB.fields.timestamp);
      for (const [ref, ok] of [
        ['c1a', okA],
        ['c1b', okB],
      ] as const) {
        const fid = ok.fields.timestamp!;
        await statusReport(r(), fid, to);
        const ack = await dlr(r(), ref, 8);
        expect(str(ack, 'fid')).to.equal(fid);
        expect(str(ack, 'text')).to.equal('ACK/');
        const delivered = await dlr(r(), ref, 1);
        expect(str(delivered, 'fid')).to.equal(fid);
        expect(str(delivered, 'to')).to.equal(to);
        expect(str(delivered, 'smsc')).to.equal(KANNEL.smscId);
        expect(r().kannel.log('access.log')).to.include(`Receive DLR [SMSC:${KANNEL.smscId}]`);
      }
      expect(dlrsOf(r(), 'c1a').map((h) => str(h, 'type'))).to.deep.equal(['8', '1']);
      expect(dlrsOf(r(), 'c1b').map((h) => str(h, 'type'))).to.deep.equal(['8', '1']);
    });

    it('2. decodes GSM special and extension characters exactly as sent', async () => {
      const text = 'Hällo @ £5 {x} € _ ~ ^ | \\';
      await send(r(), { from: '12345', to: '+358401000002', text, dlrMask: 31, ref: 'c2' });
      const f = await submitFrame(
        r(),
        'the GSM special text',
        (x) => x.fields.destination === '+358401000002',
      );
      // Kannel's CIMD2 7-bit form (docs/protocol.md#kannel-submit, #text-conversion-of-033, #extension-characters).
      expect(param(f, '033')).to.equal(
        'H_a"llo _Oa _L-5 _XX(x_XX) _XXe _-- _XX= _XX_gl _XX_!! _XX/',
      );
      expect(f.fields.encoding).to.equal('gsm7');
      expect(f.fields.text).to.equal(text);
      const ok = await r().mock.answerTo(f, WAIT);
      expect(str(await dlr(r(), 'c2', 8), 'fid')).to.equal(ok.fields.timestamp);
      expect(str(await dlr(r(), 'c2', 1), 'fid')).to.equal(ok.fields.timestamp);
    });

    it('3. decodes UCS2 text (Cyrillic, CJK, an emoji outside the BMP) exactly', async () => {
      const text = 'Привет, мир! 你好世界 😀';
      await send(r(), {
        from: '12345',
        to: '+358401000003',
        text,
        coding: 2,
        dlrMask: 31,
        ref: 'c3',
      });
      const f = await submitFrame(
        r(),
        'the UCS2 text',
        (x) => x.fields.destination === '+358401000003',
      );
      expect(param(f, '030')).to.equal('8');
      expect(param(f, '034')).to.equal(utf16be(text).toString('hex').toUpperCase());
      expect(f.fields.encoding).to.equal('ucs2');
      expect(f.fields.text).to.equal(text);
      const ok = await r().mock.answerTo(f, WAIT);
      expect(str(await dlr(r(), 'c3', 1), 'fid')).to.equal(ok.fields.timestamp);
    });

    it('4. reassembles a 400-character text Kannel splits into 3 parts; one final DLR reaches Kannel', async () => {
      const to = '+358402000004';
      const text = Array.from({ length: 50 }, (_, i) => `Part${String(i).padStart(3, '0')}x `)
        .join('')
        .slice(0, 400);
      expect(text).to.have.length(400);
      await send(r(), { from: '12345', to, text, dlrMask: 31, ref: 'c4' });
      const assembled = await r().mock.waitFor(
        'the assembled long message',
        (x): x is AssembledRecord => x.kind === 'assembled' && x.destination === to,
        WAIT,
      );
      expect(assembled.parts).to.equal(3);
      expect(assembled.text).to.equal(text);
      const parts = r()
        .mock.frames({ dir: 'in', op: 3 })
        .filter((f) => f.fields.destination === to);
      expect(parts).to.have.length(3);
      // UDH 05 00 03 ref 03 n; 153 + 153 + 94 septets; only part 1 asks for a report.
      const ref = param(parts[0]!, '032')!.slice(6, 8);
      expect(parts.map((p) => param(p, '032'))).to.deep.equal(
        [1, 2, 3].map((n) => `050003${ref}030${n}`),
      );
      expect(parts.map((p) => param(p, '044'))).to.deep.equal(['1', '1', '0']);
      expect(parts.map((p) => param(p, '056'))).to.deep.equal(['14', '0', '0']);
      expect(parts.map((p) => param(p, '033')!.length)).to.deep.equal([153, 153, 94]);

      const delivered = await dlr(r(), 'c4', 1);
      const fid = str(delivered, 'fid');
      expect(assembled.timestamps).to.include(fid);
      await statusReport(r(), fid, to);
      const reports = r()
        .mock.frames({ dir: 'out', op: 23 })
        .filter((f) => f.fields.destination === to);
      expect(reports, 'status reports sent for the long message').to.have.length(1);
      expect(dlrsOf(r(), 'c4').map((h) => str(h, 'type'))).to.deep.equal(['8', '1']);
    });

    it('5. keeps binary user data and a port-addressing UDH byte for byte', async () => {
      const udh = Buffer.from('060504158A0000', 'hex'); // IE 05: destination port 5514, source 0
      const data = Buffer.from('CAFEBABE00FF7F80', 'hex');
      await send(r(), {
        from: '12345',
        to: '+358401000005',
        text: data,
        coding: 1,
        udh,
        dlrMask: 31,
        ref: 'c5',
      });
      const f = await submitFrame(
        r(),
        'the binary message',
        (x) => x.fields.destination === '+358401000005',
      );
      expect(param(f, '032')).to.equal('060504158A0000');
      expect(param(f, '034')).to.equal('CAFEBABE00FF7F80');
      expect(param(f, '030')).to.equal('4');
      expect(f.fields.udh).to.equal('060504158A0000');
      expect(f.fields.binary).to.equal('CAFEBABE00FF7F80');
      expect(f.fields.encoding).to.equal('binary');
      const ok = await r().mock.answerTo(f, WAIT);
      expect(str(await dlr(r(), 'c5', 1), 'fid')).to.equal(ok.fields.timestamp);
    });

    it('6. reads an alphanumeric sender (027) and a relative validity (050)', async () => {
      await send(r(), {
        from: 'MyShop',
        to: '+358401000006',
        text: 'Alnum sender',
        validity: 60,
        dlrMask: 31,
        ref: 'c6',
      });
      const f = await submitFrame(
        r(),
        'the alphanumeric sender',
        (x) => x.fields.destination === '+358401000006',
      );
      expect(param(f, '027')).to.equal('MyShop');
      expect(param(f, '023')).to.equal(undefined);
      expect(f.fields.originator).to.equal('MyShop');
      // GSM 03.40 relative validity: 0–143 → (v + 1) × 5 minutes; 60 minutes is 11.
      expect(param(f, '050')).to.equal('11');
      const ok = await r().mock.answerTo(f, WAIT);
      expect(param(ok, '900')).to.equal(undefined);
      expect(str(await dlr(r(), 'c6', 1), 'fid')).to.equal(ok.fields.timestamp);
      expect(r().kannel.log('access.log')).to.match(
        /Sent SMS .*\[from:MyShop\] \[to:\+358401000006\]/,
      );
    });

    it('7. makes scenario rules visible to Kannel: 300 → NACK (16), failed → 2, expired → 34, a 2 s delay still delivers', async () => {
      await send(r(), {
        from: '12345',
        to: '+358407000300',
        text: 'Rejected',
        dlrMask: 31,
        ref: 'c7r',
      });
      await send(r(), {
        from: '12345',
        to: '+358407000002',
        text: 'Fails',
        dlrMask: 31,
        ref: 'c7f',
      });
      await send(r(), {
        from: '12345',
        to: '+358407000034',
        text: 'Expires',
        dlrMask: 31,
        ref: 'c7e',
      });
      await send(r(), {
        from: '12345',
        to: '+358407000020',
        text: 'Slow',
        dlrMask: 31,
        ref: 'c7s',
      });

      const rejected = await submitFrame(
        r(),
        'the rejected submit',
        (x) => x.fields.destination === '+358407000300',
      );
      const nack = await r().mock.answerTo(rejected, WAIT);
      expect(nack.op).to.equal(53);
      expect(nack.fields.errorCode).to.equal(300);
      const type16 = await dlr(r(), 'c7r', 16);
      expect(str(type16, 'text')).to.match(/^NACK/);
      await r().kannel.waitLog('access.log', /REJECTED Send SMS .*\[to:\+358407000300\]/, WAIT);
      await r().kannel.waitLog('smsc-cimd2.log', /code 300/, WAIT);

      for (const [to, ref, status, type] of [
        ['+358407000002', 'c7f', 3, 2],
        ['+358407000034', 'c7e', 2, 34],
      ] as const) {
        const f = await submitFrame(r(), `the submit to ${to}`, (x) => x.fields.destination === to);
        const ok = await r().mock.answerTo(f, WAIT);
        const report = await statusReport(r(), ok.fields.timestamp!, to);
        expect(param(report, '061')).to.equal(String(status));
        const h = await dlr(r(), ref, type);
        expect(str(h, 'fid')).to.equal(ok.fields.timestamp);
        expect(dlrsOf(r(), ref).map((x) => str(x, 'type'))).to.deep.equal(['8', String(type)]);
      }

      const slow = await submitFrame(
        r(),
        'the slow submit',
        (x) => x.fields.destination === '+358407000020',
      );
      const late = await r().mock.answerTo(slow, WAIT);
      expect(Date.parse(late.ts) - Date.parse(slow.ts)).to.be.at.least(1900);
      expect(param(late, '900')).to.equal(undefined);
      expect(str(await dlr(r(), 'c7s', 8), 'fid')).to.equal(late.fields.timestamp);
      expect(str(await dlr(r(), 'c7s', 1), 'fid')).to.equal(late.fields.timestamp);
      expect(dlrsOf(r(), 'c7r').map((x) => str(x, 'type'))).to.deep.equal(['16']);
    });

    it("8. delivers MOs (scenario deliver and POST /deliver) to Kannel's sms-service with exactly that text and sender", async () => {
      await send(r(), {
        from: '12345',
        to: '+358408000008',
        text: 'MO please',
        dlrMask: 31,
        ref: 'c8',
      });
      const api = [
        { from: '+358401112222', to: '12345', text: 'API: $ ¤ ¡ Ä ß Ø {1} [2] ~3 €4' },
        { from: '+358401113333', to: '12345', text: 'Здравствуйте 世界 🙂' },
      ];
      for (const body of api) {
        const res = await fetch(`${r().mock.adminUrl}/deliver`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(body),
          signal: AbortSignal.timeout(WAIT),
        });
        expect(res.status).to.equal(200);
        expect(await res.json()).to.include({ acknowledged: true });
      }
      const expected = [
        { from: '+358408000008', text: 'MO test äöü € {ok} @ £ _ ~ ^ | \\ [x] "q"', coding: '0' },
        { from: '+358408000008', text: 'Ответ 回复 🎉', coding: '2' },
        { ...api[0]!, coding: '0' },
        { ...api[1]!, coding: '2' },
      ];
      for (const e of expected) {
        const hit = await r().receiver.waitFor(
          `the MO "${e.text}"`,
          (h) => h.path === '/mo' && str(h, 'from') === e.from && moText(h) === e.text,
          WAIT,
        );
        expect(str(hit, 'to')).to.equal('12345');
        expect(str(hit, 'coding')).to.equal(e.coding);
        expect(str(hit, 'smsc')).to.equal(KANNEL.smscId);
        const mo = r()
          .mock.frames({ dir: 'out', op: 20 })
          .find((f) => f.fields.text === e.text && f.fields.originator === e.from);
        expect(mo, `the 20 carrying "${e.text}"`).to.not.equal(undefined);
        expect((await r().mock.answerTo(mo!, WAIT)).op).to.equal(70);
      }
      // The mock's 7-bit form of the scenario text (docs/protocol.md#kannel-deliver-and-status-report).
      const gsm = r()
        .mock.frames({ dir: 'out', op: 20 })
        .find((f) => f.fields.originator === '+358408000008' && f.fields.encoding === 'gsm7');
      expect(param(gsm!, '033')).to.equal(
        'MO test _a"_o"_u" _XXe _XX(ok_XX) _Oa _L- _-- _XX= _XX_gl _XX_!! _XX/ _XX<x_XX> _qqq_qq',
      );
      const ucs2 = r()
        .mock.frames({ dir: 'out', op: 20 })
        .find((f) => f.fields.originator === '+358401113333');
      expect(param(ucs2!, '030')).to.equal('8');
      expect(param(ucs2!, '034')).to.equal(
        utf16be('Здравствуйте 世界 🙂').toString('hex').toUpperCase(),
      );
      expect(r().receiver.hits.filter((h) => h.path === '/mo')).to.have.length(4);
    });

    it("10. answers Kannel's alive (40) with 90, and its own keepalive does not drop the active Kannel", async () => {
      await pollUntil(
        'two alive (40) requests from Kannel',
        () => (r().mock.frames({ dir: 'in', op: 40 }).length >= 2 ? true : undefined),
        WAIT,
      );
      for (const req of r().mock.frames({ dir: 'in', op: 40 })) {
        const answer = await r().mock.answerTo(req, WAIT);
        expect(answer.op).to.equal(90);
        expect(answer.params).to.deep.equal([]);
      }
      const records = r().mock.records();
      expect(
        records.filter((x) => x.kind === 'session-open'),
        'connections',
      ).to.have.length(1);
      expect(
        records.filter((x) => x.kind === 'session-close'),
        'closes',
      ).to.have.length(0);
      expect(r().mock.frames({ dir: 'in', op: 1 }), 'logins').to.have.length(1);
      expect(await r().kannel.smscState()).to.match(/^online/);
    });

    it("10. answers Kannel's logout (02) with 52 at once when bearerbox shuts down", async () => {
      const stopped = await r().kannel.stop();
      expect(stopped).to.deep.equal({ bearerbox: 0, smsbox: 0 });
      const logout = await r().mock.waitFor(
        'the logout',
        (x): x is FrameRecord => isFrame(x) && x.dir === 'in' && x.op === 2,
        WAIT,
      );
      const answer = await r().mock.answerTo(logout, WAIT);
      expect(answer.op).to.equal(52);
      expect(param(answer, '900')).to.equal(undefined);
      expect(Date.parse(answer.ts) - Date.parse(logout.ts)).to.be.below(500);
      expect(r().kannel.log('bearerbox.log')).to.include(`CIMD2[${KANNEL.smscId}] logged out.`);
    });
  });

  describe('a login rejected by the scenario, then a hot reload that adds the account', function () {
    let rig: Rig | undefined;
    let failed = false;
    let scenario = '';
    const r = (): Rig => rig!;
    const document = (user: string, password: string): string =>
      [
        'version: 1',
        'name: kannel-login',
        'accounts:',
        `  - { user: ${user}, password: ${password} }`,
        '',
      ].join('\n');

    before(async function () {
      const dir = tempDir('cimd2-mock-kannel-login-');
      scenario = join(dir, 'login.yaml');
      writeFileSync(scenario, document('someone-else', 'secret'));
      rig = await startRig({ scenario, dir, mockKeepalive: 2, waitOnline: false });
    });

    afterEach(function () {
      if (this.currentTest?.state === 'failed') failed = true;
    });

    after(async function () {
      await stopRig(rig, failed);
    });

    it('9. Kannel logs the failed login (51 with 900:100) and retries; after the reload it logs in and delivers the queued MT', async () => {
      await pollUntil(
        'two rejected logins',
        () =>
          r()
            .mock.frames({ dir: 'out', op: 51 })
            .filter((f) => f.fields.errorCode === 100).length >= 2
            ? true
            : undefined,
        WAIT,
      );
      const login = r().mock.frames({ dir: 'in', op: 1 })[0]!;
      expect(login.params).to.deep.equal([
        ['010', KANNEL.smscUser],
        ['011', KANNEL.smscPass],
      ]);
      expect(param(await r().mock.answerTo(login, WAIT), '900')).to.equal('100');
      await r().kannel.waitLog(
        'smsc-cimd2.log',
        /Login response contained error message:[^\n]*\n[^\n]*code 100/,
        WAIT,
      );
      await r().kannel.waitLog(
        'smsc-cimd2.log',
        new RegExp(`CIMD2\\[${KANNEL.smscId}\\] login failed\\.`),
        WAIT,
      );
      await r().kannel.waitLog(
        'smsc-cimd2.log',
        /Couldn't connect to SMSC \(retrying in 1 seconds\)/,
        WAIT,
      );
      const refused = r()
        .mock.frames({ dir: 'out', op: 51 })
        .filter((f) => f.fields.errorCode === 100);
      expect(new Set(refused.map((f) => f.session)).size, 'one connection per attempt').to.equal(
        refused.length,
      );
      expect(await r().kannel.smscState()).to.not.match(/^online/);

      const res = await r().kannel.sendSms({
        from: '12345',
        to: '+358409000009',
        text: 'Queued while refused',
        dlrMask: 31,
        ref: 'c9',
      });
      expect(res.status).to.equal(202);
      expect(res.body).to.match(/^3: Queued for later delivery/);
      expect(r().mock.frames({ dir: 'in', op: 3 })).to.have.length(0);

      const loads = r()
        .mock.records()
        .filter((x) => x.kind === 'scenario-loaded').length;
      writeFileSync(scenario, document(KANNEL.smscUser, KANNEL.smscPass));
      await pollUntil(
        'the reloaded scenario',
        () =>
          r()
            .mock.records()
            .filter((x) => x.kind === 'scenario-loaded').length > loads
            ? true
            : undefined,
        WAIT,
      );
      const accepted = await r().mock.waitFor(
        'an accepted login',
        (x): x is FrameRecord =>
          isFrame(x) && x.dir === 'out' && x.op === 51 && x.params.length === 0,
        WAIT,
      );
      await r().kannel.waitOnline(WAIT);
      await r().kannel.waitLog(
        'smsc-cimd2.log',
        new RegExp(`CIMD2\\[${KANNEL.smscId}\\] logged in\\.`),
        WAIT,
      );
      const f = await submitFrame(
        r(),
        'the queued MT',
        (x) => x.fields.text === 'Queued while refused',
      );
      expect(f.session).to.equal(accepted.session);
      const ok = await r().mock.answerTo(f, WAIT);
      expect(str(await dlr(r(), 'c9', 8), 'fid')).to.equal(ok.fields.timestamp);
      expect(str(await dlr(r(), 'c9', 1), 'fid')).to.equal(ok.fields.timestamp);
    });

    it("10. answers the mock's own alive (40) with 90 and stays connected when Kannel's keepalive is off", async () => {
      const loggedIn = r()
        .mock.frames({ dir: 'out', op: 51 })
        .find((f) => f.params.length === 0);
      expect(loggedIn, 'an accepted login').to.not.equal(undefined);
      const session = loggedIn!.session;
      const alive = await r().mock.waitFor(
        "the mock's alive",
        (x): x is FrameRecord =>
          isFrame(x) && x.dir === 'out' && x.op === 40 && x.session === session,
        WAIT,
      );
      const answer = await r().mock.answerTo(alive, WAIT);
      expect(answer.dir).to.equal('in');
      expect(answer.op).to.equal(90);
      expect(
        r()
          .mock.records()
          .some((x) => x.kind === 'session-close' && x.session === session),
      ).to.equal(false);
      expect(await r().kannel.smscState()).to.match(/^online/);
    });
  });

  describe('packet numbers across a reconnect (the mock closes the link)', function () {
    let rig: Rig | undefined;
    let failed = false;
    const r = (): Rig => rig!;

    before(async function () {
      rig = await startRig({
        scenario: join(SCENARIOS, 'reconnect.yaml'),
        dir: tempDir('cimd2-mock-kannel-reconnect-'),
      });
    });

    afterEach(function () {
      if (this.currentTest?.state === 'failed') failed = true;
    });

    after(async function () {
      await stopRig(rig, failed);
    });

    it("11. Kannel logs in again and the next status report is not swallowed by Kannel's duplicate rule", async () => {
      await send(r(), {
        from: '12345',
        to: '+358401100001',
        text: 'Before',
        dlrMask: 31,
        ref: 'c11a',
      });
      const first = await submitFrame(r(), 'the submit before', (x) => x.fields.text === 'Before');
      const ok1 = await r().mock.answerTo(first, WAIT);
      const report1 = await statusReport(r(), ok1.fields.timestamp!, '+358401100001');
      expect(str(await dlr(r(), 'c11a', 1), 'fid')).to.equal(ok1.fields.timestamp);

      const closed = await r().mock.waitFor(
        'the scenario closing the link',
        (x) => x.kind === 'session-close' && x.session === first.session,
        WAIT,
      );
      expect(closed.kind).to.equal('session-close');
      await r().kannel.waitLog('smsc-cimd2.log', /service center closed connection/, WAIT);
      const relogin = await r().mock.waitFor(
        'a new accepted login',
        (x): x is FrameRecord =>
          isFrame(x) &&
          x.dir === 'out' &&
          x.op === 51 &&
          x.params.length === 0 &&
          x.session !== first.session,
        WAIT,
      );
      await r().kannel.waitOnline(WAIT);

      await send(r(), {
        from: '12345',
        to: '+358401100002',
        text: 'After',
        dlrMask: 31,
        ref: 'c11b',
      });
      const second = await submitFrame(r(), 'the submit after', (x) => x.fields.text === 'After');
      expect(second.session).to.equal(relogin.session);
      const ok2 = await r().mock.answerTo(second, WAIT);
      const report2 = await statusReport(r(), ok2.fields.timestamp!, '+358401100002');
      // The last server request before the reconnect was report1: the next one must not reuse its number.
      const serverRequests = r()
        .mock.frames({ dir: 'out' })
        .filter((f) => f.op < 50);
      const lastBefore = serverRequests.filter((f) => f.session === first.session).at(-1)!;
      expect(lastBefore.pn).to.equal(report1.pn);
      expect(report2.pn).to.not.equal(report1.pn);
      expect(report2.pn).to.equal((report1.pn + 2) % 256);
      const delivered = await dlr(r(), 'c11b', 1);
      expect(str(delivered, 'fid')).to.equal(ok2.fields.timestamp);
      expect(r().kannel.log('smsc-cimd2.log')).to.not.match(/same sequence number/);
    });
  });
});
