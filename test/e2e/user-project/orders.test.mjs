import { expect } from 'chai';
import {
  expectFrames,
  expectNoFrameErrors,
  expectNoUnmatched,
  expectSequence,
  expectStatusReportFor,
} from 'cimd2-mock';
import { textCustomer } from './app.mjs';
import { smsc } from './hooks.mjs';

describe('order texts (a user suite: one mock, reset before each test)', () => {
  it('texts the customer and gets a delivery report', async () => {
    const { submit, status } = await textCustomer(smsc.port, '+358401000001', 'Order 1 confirmed');
    expect(submit.ok).to.equal(true);
    expect(status.statusName).to.equal('delivered');
    await smsc.waitFor({ kind: 'frame', op: 'status-report-response', dir: 'in' }, { since: 0 });

    const t = smsc.transcript;
    expectFrames(t, { op: 'submit', dir: 'in', fields: { destination: '+358401000001' } }, 1);
    expectSequence(t, [
      { op: 'login' },
      { op: 'submit', fields: { text: { regex: 'Order \\d+ confirmed' } } },
      { op: 'submit-response', fields: { errorCode: { exists: false } } },
      { op: 'status-report', dir: 'out' },
      { op: 'status-report-response', dir: 'in' },
      { op: 'logout' },
    ]);
    expectStatusReportFor(t, { destination: '+358401000001', status: 'delivered' });
    expectNoUnmatched(t);
    expectNoFrameErrors(t);
  });

  it('leaves a report pending when it does not wait (the next test must not see it)', async () => {
    const { submit } = await textCustomer(smsc.port, '+358401000002', 'Order 2 confirmed', {
      waitReport: false,
    });
    expect(submit.ok).to.equal(true);
    expectFrames(smsc.transcript, { op: 'submit', dir: 'in' }, 1);
  });

  it('sees only its own records: one submit, no report of the previous test', async () => {
    const { submit } = await textCustomer(smsc.port, '+99123', 'Order 3 confirmed', {
      waitReport: false,
    });
    expect(submit.errorCode).to.equal(300);
    const t = smsc.transcript;
    expect(t.records.map((r) => r.kind)).not.to.include('reset');
    expectFrames(t, { op: 'submit', dir: 'in' }, 1);
    expectFrames(t, { op: 'submit', fields: { destination: '+358401000002' } }, 0);
    expectFrames(t, { op: 'status-report' }, 0);
    // The previous test's pending report was cancelled by the reset, before this epoch began.
    const cancelled = smsc.transcriptAll.records.filter(
      (r) => r.kind === 'fired' && r.cancelled === 'reset',
    );
    expect(cancelled).to.have.length(1);
    expectNoUnmatched(t);
  });

  it('waitFor never resolves with a record of an earlier test', async () => {
    // A login happened in every earlier test; only one made after this call may satisfy it.
    const waiting = smsc.waitFor({ op: 'login', dir: 'in' }, { timeoutMs: 300 });
    await expectRejection(waiting, /no transcript record matched within 300 ms/);
  });

  it('a misspelt op, field or matcher fails at once with the place of the mistake', () => {
    const t = smsc.transcript;
    expect(() => expectFrames(t, { op: 'sumbit' }, 0)).to.throw(
      'selector.op: unknown operation "sumbit" (did you mean "submit"?)',
    );
    expect(() => expectFrames(t, { op: 'submit', fields: { destinaton: '+1' } }, 0)).to.throw(
      'selector.fields: unknown frame field "destinaton" (did you mean "destination"?)',
    );
    expect(() =>
      expectFrames(t, { op: 'submit', fields: { destination: { prefx: '+358' } } }, 0),
    ).to.throw('unknown matcher "prefx" (did you mean "prefix"?)');
  });
});

async function expectRejection(promise, pattern) {
  try {
    await promise;
  } catch (error) {
    expect(String(error.message)).to.match(pattern);
    return;
  }
  expect.fail('resolved, expected a rejection');
}
