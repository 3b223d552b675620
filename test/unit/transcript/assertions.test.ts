import { expect } from 'chai';
import { AssertionError } from 'node:assert';
import { fileURLToPath } from 'node:url';
import {
  expectAllRulesUsed,
  expectAnsweredWithin,
  expectFrames,
  expectNoFrameErrors,
  expectNoUnmatched,
  expectRecords,
  expectRuleUsed,
  expectSequence,
  expectStatusReportFor,
} from '../../../src/transcript/assertions.js';
import type { Transcript } from '../../../src/transcript/query.js';
import { parseTranscript, readTranscript } from '../../../src/transcript/reader.js';

const fixture = fileURLToPath(
  new URL('../../fixtures/transcripts/conversation.jsonl', import.meta.url),
);

/** Runs `fn`, expects an AssertionError, returns it. */
function failure(fn: () => void): AssertionError {
  try {
    fn();
  } catch (error) {
    expect(error).to.be.instanceOf(AssertionError);
    return error as AssertionError;
  }
  expect.fail('no AssertionError thrown');
}

describe('transcript assertions', () => {
  let t: Transcript;
  before(async () => {
    t = await readTranscript(fixture);
  });

  describe('expectFrames', () => {
    it('passes when exactly N frames match, or a count within the range', () => {
      expectFrames(t, { op: 'submit', dir: 'in' }, 2);
      expectFrames(t, { op: 'submit-response' }, { min: 1, max: 2 });
      expectFrames(t, { op: 'deliver' }, 0);
    });

    it('fails listing the frames found when the count differs', () => {
      const e = failure(() => {
        expectFrames(t, { op: 'submit', dir: 'in' }, 3);
      });
      expect(e.actual).to.equal(2);
      expect(e.expected).to.equal(3);
      expect(e.operator).to.equal('count');
      expect(e.message).to.equal(
        'expected exactly 3 frame(s) matching {"op":"submit","dir":"in"}, found 2:\n' +
          '  #6 c1 in submit 003 to=+358401234567 "Hello"\n' +
          '  #10 c1 in submit 005 to=+99123 "Bad"',
      );
    });

    it('fails listing the nearest frames when none match', () => {
      const e = failure(() => {
        expectFrames(t, { op: 'submit', fields: { destination: '+4670' } }, 1);
      });
      expect(e.actual).to.equal(0);
      expect(e.message).to.equal(
        'expected exactly 1 frame(s) matching {"op":"submit","fields":{"destination":"+4670"}}, found 0; nearest:\n' +
          '  #6 c1 in submit 003 to=+358401234567 "Hello"  (1 of 2 conditions)\n' +
          '  #10 c1 in submit 005 to=+99123 "Bad"  (1 of 2 conditions)',
      );
    });

    it('describes a range in the message', () => {
      const e = failure(() => {
        expectFrames(t, { op: 'alive' }, { min: 2 });
      });
      expect(e.message).to.match(
        /^expected at least 2 frame\(s\) matching \{"op":"alive"\}, found 1:/,
      );
      expect(e.expected).to.deep.equal({ min: 2 });
    });
  });

  describe('expectRecords', () => {
    it('counts records of any kind', () => {
      expectRecords(t, { kind: 'decision' }, 4);
      const e = failure(() => {
        expectRecords(t, { kind: 'unmatched' }, 0);
      });
      expect(e.message).to.include('#18 c1 unmatched alive 007');
    });
  });

  describe('expectSequence', () => {
    it('lists the nearest records after the last matched step', () => {
      const e = failure(() => {
        expectSequence(t, [
          { op: 'status-report' },
          { op: 'submit-response', fields: { errorCode: 302 } },
        ]);
      });
      expect(e.message).to.equal(
        'sequence step 2 of 2 {"op":"submit-response","fields":{"errorCode":302}} not found after #13; steps matched so far:\n' +
          '  #13 c1 out status-report 000 to=+358401234567 status=delivered ts=260101120000\n' +
          'nearest after that point:\n' +
          '  #15 c1 out submit-response 005 error=300 "Incorrect destination address"  (1 of 2 conditions)',
      );
    });

    it('passes for steps that occur in order, not necessarily adjacent', () => {
      expectSequence(t, [
        { op: 'login' },
        { op: 'submit', fields: { destination: { prefix: '+358' } } },
        { op: 'status-report', dir: 'out' },
        { kind: 'session-close' },
      ]);
    });

    it('fails naming the missing step, the steps matched so far and where it occurs instead', () => {
      const e = failure(() => {
        expectSequence(t, [
          { op: 'login' },
          { op: 'status-report' },
          { op: 'submit', fields: { destination: { prefix: '+99' } } },
        ]);
      });
      expect(e.actual).to.equal(2);
      expect(e.expected).to.equal(3);
      expect(e.operator).to.equal('sequence');
      expect(e.message).to.equal(
        'sequence step 3 of 3 {"op":"submit","fields":{"destination":{"prefix":"+99"}}} not found after #13; steps matched so far:\n' +
          '  #3 c1 in login 001 user=shop\n' +
          '  #13 c1 out status-report 000 to=+358401234567 status=delivered ts=260101120000\n' +
          'it occurs only earlier:\n' +
          '  #10 c1 in submit 005 to=+99123 "Bad"',
      );
    });
  });

  describe('expectAnsweredWithin', () => {
    it('passes when every matching request was answered in time', () => {
      expectAnsweredWithin(t, 230);
      expectAnsweredWithin(t, 5, { op: { in: ['login', 'alive'] } });
    });

    it('fails listing the late requests with their latency', () => {
      const e = failure(() => {
        expectAnsweredWithin(t, 100);
      });
      expect(e.operator).to.equal('answeredWithin');
      expect(e.expected).to.deep.equal([]);
      expect(e.actual).to.deep.equal([
        '#10 c1 in submit 005 to=+99123 "Bad"  (answered after 230 ms by #15)',
      ]);
      expect(e.message).to.equal(
        '1 of 5 request(s) not answered within 100 ms:\n' +
          '  #10 c1 in submit 005 to=+99123 "Bad"  (answered after 230 ms by #15)',
      );
    });

    it('fails for a request that got no answer at all', () => {
      const lines = [
        '{"seq":1,"ts":"2026-01-01T12:00:00.000Z","kind":"frame","session":"c1","dir":"in","op":3,"opName":"submit","pn":3,"params":[],"fields":{},"checksum":"absent","raw":""}',
      ];
      const e = failure(() => {
        expectAnsweredWithin(parseTranscript(lines.join('\n')), 1000, { op: 'submit' });
      });
      expect(e.message).to.equal(
        '1 of 1 request(s) matching {"op":"submit"} not answered within 1000 ms:\n  #1 c1 in submit 003  (no answer)',
      );
    });
  });

  describe('expectNoUnmatched', () => {
    it('passes without unmatched records', () => {
      expectNoUnmatched(parseTranscript(''));
    });
    it('fails listing the unmatched records', () => {
      const e = failure(() => {
        expectNoUnmatched(t);
      });
      expect(e.message).to.equal(
        'expected no unmatched requests, found 1:\n  #18 c1 unmatched alive 007: rule login-ok: op is "alive", not "login"',
      );
      expect(e.actual).to.deep.equal([
        '#18 c1 unmatched alive 007: rule login-ok: op is "alive", not "login"',
      ]);
      expect(e.expected).to.deep.equal([]);
    });
  });

  describe('expectNoFrameErrors', () => {
    it('passes without frame errors', () => {
      expectNoFrameErrors(t);
    });
    it('fails listing the frame errors', () => {
      const bad = parseTranscript(
        '{"seq":1,"ts":"2026-01-01T12:00:00.000Z","kind":"frame-error","session":"c1","dir":"in","error":"ERR_CIMD_CHECKSUM","message":"checksum mismatch: frame says 00, bytes sum to 4F","cimdErrorCode":2,"op":3,"opName":"submit","pn":3,"raw":"","answer":{"op":99,"opName":"nack","pn":3}}\n',
      );
      const e = failure(() => {
        expectNoFrameErrors(bad);
      });
      expect(e.message).to.equal(
        'expected no frame errors, found 1:\n  #1 c1 frame-error ERR_CIMD_CHECKSUM: checksum mismatch: frame says 00, bytes sum to 4F',
      );
    });
  });

  describe('expectAllRulesUsed', () => {
    it('passes when every rule decided a request', () => {
      expectAllRulesUsed(t, ['login-ok', 'dlr', 'reject-99']);
    });
    it('fails naming the unused rules and the used ones', () => {
      const e = failure(() => {
        expectAllRulesUsed(t, ['login-ok', 'throttle', 'dlr', 'outage']);
      });
      expect(e.actual).to.deep.equal(['throttle', 'outage']);
      expect(e.expected).to.deep.equal([]);
      expect(e.message).to.equal(
        'scenario rule(s) never used: throttle, outage (used: login-ok, dlr, reject-99)',
      );
    });
  });

  describe('expectRuleUsed', () => {
    it('passes when the rule decided the given number of requests', () => {
      expectRuleUsed(t, 'dlr');
      expectRuleUsed(t, 'dlr', 1);
    });
    it('fails with the count and the rule’s decisions', () => {
      const e = failure(() => {
        expectRuleUsed(t, 'dlr', 2);
      });
      expect(e.message).to.equal(
        'expected rule "dlr" to decide exactly 2 request(s), it decided 1; decisions:\n  #7 c1 decision submit 003 rule=dlr [respond]',
      );
    });
  });

  describe('expectStatusReportFor', () => {
    it('passes when a report for the destination (and status) was sent', () => {
      expectStatusReportFor(t, { destination: '+358401234567' });
      expectStatusReportFor(t, { destination: { prefix: '+358' }, status: 'delivered' });
      expectStatusReportFor(t, {
        destination: '+358401234567',
        status: 4,
        timestamp: '260101120000',
      });
    });

    it('fails showing the reports that were sent', () => {
      const e = failure(() => {
        expectStatusReportFor(t, { destination: '+358401234567', status: 'failed' });
      });
      expect(e.message).to.equal(
        'expected a status report (23) matching {"dir":"out","op":23,"fields":{"destination":"+358401234567","statusName":"failed"}}, found none; status reports sent:\n' +
          '  #13 c1 out status-report 000 to=+358401234567 status=delivered ts=260101120000  (3 of 4 conditions)',
      );
    });

    it('fails saying no report was sent at all', () => {
      const e = failure(() => {
        expectStatusReportFor(parseTranscript(''), { destination: '1' });
      });
      expect(e.message).to.equal(
        'expected a status report (23) matching {"dir":"out","op":23,"fields":{"destination":"1"}}, found none; no status report was sent at all',
      );
    });
  });
});
