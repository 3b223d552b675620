/**
 * The client judge in memory: fed with frames and closes as the server's events carry them,
 * time from a ManualClock. Time-based checks (no response before the ack timeout, silence past
 * the keep-alive interval, alive floods, parts that never complete), the levels of `checks:`,
 * and the rule of one finding per violation.
 */
import { expect } from 'chai';
import { ChecksumError } from '../../../src/errors.js';
import type { DecodeResult } from '../../../src/protocol/decoder.js';
import { FrameDecode } from '../../../src/protocol/fields.js';
import type { Frame, Parameter } from '../../../src/protocol/frame.js';
import {
  CHECKS,
  ClientJudge,
  checkIndex,
  resolveChecks,
  type CheckLevels,
  type FindingBody,
} from '../../../src/judge/index.js';
import type { SessionInfo } from '../../../src/server/ports.js';
import { ManualClock } from '../../../src/testing/manual-clock.js';

const S: SessionInfo = { id: 'c1', user: undefined, remote: '127.0.0.1:1' };
const p = (code: number, value: string): Parameter => ({ code, value });
const LOGIN = [p(10, 'shop'), p(11, 'secret')];

interface Found extends FindingBody {
  readonly session: string;
}

/** A judge with a seq counter standing in for the recorder (each frame is one record). */
function setup(
  options: { keepAliveMs?: number; levels?: CheckLevels; ackTimeoutMs?: number } = {},
) {
  const clock = new ManualClock(Date.UTC(2026, 0, 1));
  let seq = 0;
  const found: Found[] = [];
  const judge = new ClientJudge({
    clock,
    lastSeq: () => seq,
    report: (session, f) => {
      seq++;
      found.push({ session, ...f });
    },
    keepAliveMs: () => options.keepAliveMs ?? 0,
    ackTimeoutMs: options.ackTimeoutMs ?? 10_000,
    aliveTimeoutMs: 5000,
    multipartTtlMs: 60_000,
    ...(options.levels !== undefined ? { levels: () => options.levels! } : {}),
  });
  judge.sessionOpened(S);
  /** A client frame; returns its seq. */
  const inn = (op: number, pn: number, params: readonly Parameter[] = []): number => {
    const frame: Frame = { op, pn, params };
    const mine = ++seq;
    const result: DecodeResult = { ok: true, frame, raw: Buffer.alloc(0), checksum: 'absent' };
    judge.frameIn(S, result, new FrameDecode(frame));
    return mine;
  };
  const out = (op: number, pn: number, params: readonly Parameter[] = []): number => {
    const mine = ++seq;
    judge.frameOut(S, { op, pn, params });
    return mine;
  };
  /** Login 001 answered positively. */
  const login = (params: readonly Parameter[] = LOGIN): number => {
    const s = inn(1, 1, params);
    out(51, 1);
    return s;
  };
  return { clock, judge, found, inn, out, login };
}

describe('client judge (in memory)', () => {
  it('the table has unique ids, each with an explanation and a rule', () => {
    const ids = CHECKS.map((c) => c.id);
    expect(new Set(ids).size).to.equal(ids.length);
    for (const c of CHECKS) {
      expect(c.explanation, c.id).to.match(/\.$/);
      expect(c.rule.length, c.id).to.be.greaterThan(10);
    }
    const warnings = CHECKS.filter((c) => c.severity === 'warning').map((c) => c.id);
    expect(warnings).to.deep.equal(['silence', 'close-without-logout', 'alive-flood']);
  });

  describe('no-response', () => {
    it('a 20 not answered within the ack timeout: one finding at the deadline, about the 20', async () => {
      const { clock, found, out, login } = setup({ ackTimeoutMs: 3000 });
      login();
      const twenty = out(20, 0, [p(21, '1'), p(23, '2'), p(60, '260101000000')]);
      await clock.advance(2999);
      expect(found).to.deep.equal([]);
      await clock.advance(1);
      expect(found).to.have.length(1);
      expect(found[0]).to.deep.include({ check: 'no-response', frameSeq: twenty });
      // The server's resend of the same pn is not a second finding.
      out(20, 0);
      await clock.advance(10_000);
      expect(found).to.have.length(1);
    });

    it('a 40 waits aliveTimeoutMs; an answer in time is no finding', async () => {
      const { clock, found, inn, out, login } = setup();
      login();
      out(40, 2);
      await clock.advance(4999);
      inn(90, 2);
      await clock.advance(60_000);
      expect(found).to.deep.equal([]);
      out(40, 4);
      await clock.advance(5000);
      expect(found.map((f) => f.check)).to.deep.equal(['no-response']);
      expect(found[0]?.message).to.equal('no alive-response (90) to alive 004 within 5000 ms');
    });

    it('answers to a resent copy are not response-unknown-pn; a third answer is', () => {
      const { found, inn, out, login } = setup();
      login();
      out(23, 0);
      out(23, 0);
      inn(73, 0);
      inn(73, 0);
      expect(found).to.deep.equal([]);
      const third = inn(73, 0);
      expect(found).to.deep.equal([
        {
          session: 'c1',
          check: 'response-unknown-pn',
          severity: 'error',
          message:
            'status-report-response 000: the server has no request 000 waiting for a response',
          frameSeq: third,
        },
      ]);
    });
  });

  describe('silence', () => {
    it('one warning per silent stretch of the keep-alive interval, about the last frame', async () => {
      const { clock, found, inn, login } = setup({ keepAliveMs: 30_000 });
      const l = login();
      await clock.advance(29_999);
      expect(found).to.deep.equal([]);
      await clock.advance(1);
      expect(found).to.have.length(1);
      expect(found[0]).to.deep.include({ check: 'silence', severity: 'warning', frameSeq: l });
      await clock.advance(120_000);
      expect(found).to.have.length(1);
      // A frame ends the stretch; the next long one is reported again.
      const alive = inn(40, 3);
      await clock.advance(30_000);
      expect(found.map((f) => f.frameSeq)).to.deep.equal([l, alive]);
    });

    it('alives within the interval keep it quiet; no keep-alive interval, no check', async () => {
      const a = setup({ keepAliveMs: 30_000 });
      a.login();
      for (let i = 0; i < 5; i++) {
        await a.clock.advance(20_000);
        a.inn(40, 3 + 2 * i);
      }
      expect(a.found).to.deep.equal([]);
      const b = setup();
      b.login();
      await b.clock.advance(3_600_000);
      expect(b.found).to.deep.equal([]);
    });

    it('not before a login, nor after a logout', async () => {
      const { clock, found, inn, out } = setup({ keepAliveMs: 1000 });
      await clock.advance(5000);
      inn(1, 1, LOGIN);
      out(51, 1);
      inn(2, 3);
      await clock.advance(5000);
      expect(found).to.deep.equal([]);
    });
  });

  describe('alive-flood', () => {
    it('alives less than a second apart: one warning per burst', async () => {
      const { clock, found, inn, out, login } = setup();
      login();
      const ask = (pn: number): number => {
        const s = inn(40, pn);
        out(90, pn);
        return s;
      };
      ask(3);
      await clock.advance(999);
      const second = ask(5);
      await clock.advance(10);
      ask(7);
      await clock.advance(1000);
      ask(9);
      await clock.advance(1);
      const again = ask(11);
      expect(found.map((f) => [f.check, f.frameSeq])).to.deep.equal([
        ['alive-flood', second],
        ['alive-flood', again],
      ]);
    });
  });

  describe('parts-incomplete', () => {
    const udh = (ref: number, total: number, part: number): Parameter =>
      p(32, `050003${[ref, total, part].map((n) => n.toString(16).padStart(2, '0')).join('')}`);

    it('a message missing parts after the multipart TTL, about its first part', async () => {
      const { clock, found, inn, out, login } = setup();
      login();
      const first = inn(3, 3, [p(21, '123'), udh(4, 3, 1), p(33, 'a')]);
      out(53, 3);
      inn(3, 5, [p(21, '123'), udh(4, 3, 3), p(33, 'c')]);
      out(53, 5);
      await clock.advance(59_999);
      expect(found).to.deep.equal([]);
      await clock.advance(1);
      expect(found).to.have.length(1);
      expect(found[0]).to.deep.include({ check: 'parts-incomplete', frameSeq: first });
      expect(found[0]?.message).to.equal(
        'message to 123 with reference 4: 2 of 3 parts arrived within the multipart TTL (60000 ms); missing part 2',
      );
    });

    it('a complete message is no finding, even with its parts out of order', async () => {
      const { clock, found, inn, out, login } = setup();
      login();
      for (const [pn, part] of [
        [3, 2],
        [5, 1],
      ] as const) {
        inn(3, pn, [p(21, '123'), udh(4, 2, part), p(33, 'x')]);
        out(53, pn);
      }
      await clock.advance(120_000);
      expect(found).to.deep.equal([]);
    });
  });

  describe('one violation, one finding', () => {
    it('a login with packet number 002 is one pn-not-odd finding; the next number is not a second', () => {
      const { found, inn, out } = setup();
      inn(1, 2, LOGIN);
      out(51, 2);
      inn(3, 3, [p(21, '1'), p(33, 'x')]);
      expect(found.map((f) => f.check)).to.deep.equal(['pn-not-odd']);
    });

    it('a submit pipelined behind the login is request-before-login only (not also window-exceeded)', () => {
      const { found, inn, out } = setup();
      inn(1, 1, LOGIN);
      inn(3, 3, [p(21, '1'), p(33, 'x')]);
      out(51, 1);
      expect(found.map((f) => f.check)).to.deep.equal(['request-before-login']);
    });

    it('a bad 034 is hex-invalid only, not also user-data-conflict', () => {
      const { found, inn, login } = setup();
      login();
      inn(3, 3, [p(21, '1'), p(30, '4'), p(34, 'XYZ1')]);
      expect(found.map((f) => f.check)).to.deep.equal(['hex-invalid']);
    });

    it('each offending parameter is its own finding; all missing ones are one', () => {
      const { found, inn, login } = setup();
      login();
      inn(4, 3, [p(33, 'x'), p(999, 'y')]);
      expect(found.map((f) => [f.check, f.message])).to.deep.equal([
        [
          'parameter-not-allowed',
          'enquire 003: parameter 033 (user data) is not a parameter of enquire',
        ],
        ['parameter-not-allowed', 'enquire 003: parameter 999 is not a CIMD2 parameter'],
        [
          'parameter-missing',
          'enquire 003: no parameter 021 (destination address), parameter 060 (service centre time stamp)',
        ],
      ]);
    });
  });

  describe('033 text alphabet', () => {
    const cases: readonly [string, string | undefined][] = [
      ['Hello _Oa world_--!', undefined],
      ['curly _XX( and pipe _XX_!! and euro _XXe', undefined],
      ['form feed _XX\n', undefined],
      ['tab\there', 'byte 0x09 at index 3 is not in the CIMD2 text alphabet'],
      ['latin1 \u00e9', 'byte 0xe9 at index 7 is not in the CIMD2 text alphabet'],
      ['ends with _', '"_" at index 10 is not a special combination'],
      ['escape _XXz', '"_XX" at index 7 is not followed by an extension character'],
    ];
    for (const [text, problem] of cases)
      it(`${JSON.stringify(text)}: ${problem ?? 'fine'}`, () => {
        const { found, inn, login } = setup();
        login();
        inn(3, 3, [p(21, '1'), p(33, text)]);
        expect(found.map((f) => f.message)).to.deep.equal(
          problem === undefined ? [] : [`submit 003: parameter 033 (user data): ${problem}`],
        );
      });
  });

  describe('levels (the scenario checks: block)', () => {
    it('all: off silences every check; a listed one still speaks', () => {
      const levels = resolveChecks({ all: 'off', 'pn-sequence': 'on' });
      expect(levels.filter((l) => l > 0)).to.have.length(1);
      const { found, inn, out } = setup({ levels });
      inn(1, 2, LOGIN);
      out(51, 2);
      inn(3, 3, [p(21, '1')]);
      inn(3, 9, [p(21, '1')]);
      expect(found.map((f) => f.check)).to.deep.equal(['pn-sequence']);
    });

    it('a severity can be changed either way', () => {
      const levels = resolveChecks({ 'alive-flood': 'error', 'pn-not-odd': 'warning' });
      expect(levels[checkIndex('alive-flood')]).to.equal(2);
      expect(levels[checkIndex('pn-not-odd')]).to.equal(1);
      const { found, inn, out } = setup({ levels });
      inn(1, 2, LOGIN);
      out(51, 2);
      inn(40, 3);
      out(90, 3);
      inn(40, 5);
      expect(found.map((f) => [f.check, f.severity])).to.deep.equal([
        ['pn-not-odd', 'warning'],
        ['alive-flood', 'error'],
      ]);
    });
  });

  describe('close', () => {
    it('close-without-logout only for a client close of a logged-in session', () => {
      for (const [reason, expected] of [
        [{ code: 0, text: 'remote closed the connection' }, 1],
        [{ code: 104, text: 'read ECONNRESET' }, 1],
        [{ code: 0, text: 'disconnected by the scenario' }, 0],
        [{ code: -1, text: 'no frame from the client for 1000 ms (idleTimeoutMs)' }, 0],
        [{ code: 0, text: 'server stopping' }, 0],
      ] as const) {
        const { judge, found, login } = setup();
        const l = login();
        judge.sessionClosed(S, reason);
        expect(
          found.map((f) => f.frameSeq),
          reason.text,
        ).to.deep.equal(expected === 1 ? [l] : []);
      }
    });

    it('timers stop with the session', async () => {
      const { clock, judge, found, out, login } = setup({ keepAliveMs: 1000 });
      login();
      out(20, 0);
      judge.sessionClosed(S, { code: 0, text: 'logout' });
      await clock.advance(60_000);
      expect(found).to.deep.equal([]);
      expect(clock.pending).to.equal(0);
    });
  });

  it('a bad checksum with a readable header uses its number: the resend with the next is fine', () => {
    const { judge, found, inn, login } = setup();
    login();
    const error = new ChecksumError('A7', '00');
    judge.frameIn(S, { ok: false, error, raw: Buffer.alloc(0), op: 3, pn: 3 });
    inn(3, 5, [p(21, '1'), p(33, 'x')]);
    expect(found.map((f) => f.check)).to.deep.equal(['bad-checksum']);
  });
});
