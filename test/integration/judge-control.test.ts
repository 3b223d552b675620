/**
 * Findings through the control API (`GET /findings`: current epoch, filters, errors), the
 * facade's `findings()` and the shutdown summary line, over real TCP and HTTP.
 */
import { expect } from 'chai';
import { startControlApi, type ControlApi } from '../../src/control-api.js';
import { createMockSmsc, type MockSmsc } from '../../src/mock-smsc.js';
import { summary } from '../../src/cli/serve.js';
import { CimdClient } from '../../src/testing/cimd-client.js';

interface Body {
  findings: { seq: number; session: string; check: string; severity: string; frameSeq: number }[];
  truncated: boolean;
}

describe('findings in the control API and the summary', () => {
  let mock: MockSmsc;
  let api: ControlApi;

  beforeEach(async () => {
    mock = await createMockSmsc({ port: 0 });
    api = await startControlApi(mock, { port: 0 });
  });

  afterEach(async () => {
    await api.close();
    await mock.stop();
  });

  async function get(query: string): Promise<{ status: number; body: unknown }> {
    const res = await fetch(`${api.url}/findings${query}`);
    return { status: res.status, body: await res.json() };
  }

  /** c1: a login 002 (pn-not-odd) and a close without logout; c2: two alives in a row. */
  async function misbehave(): Promise<void> {
    const a = await CimdClient.connect({ port: mock.port });
    await a.request(
      1,
      [
        { code: 10, value: 'shop' },
        { code: 11, value: 'secret' },
      ],
      { pn: 2 },
    );
    await a.close();
    await mock.waitFor(
      { kind: 'finding', fields: { check: 'close-without-logout' } },
      { since: 0 },
    );
    const b = await CimdClient.connect({ port: mock.port });
    await b.login('other', 'secret');
    await b.alive();
    await b.alive();
    await b.logout();
    await mock.waitFor({ kind: 'session-close', session: 'c2' }, { since: 0 });
  }

  it('GET /findings lists the findings, filtered by session, check and severity', async () => {
    await misbehave();
    const all = (await get('')) as { status: number; body: Body };
    expect(all.status).to.equal(200);
    expect(all.body.truncated).to.equal(false);
    expect(all.body.findings.map((f) => [f.session, f.check, f.severity])).to.deep.equal([
      ['c1', 'pn-not-odd', 'error'],
      ['c1', 'close-without-logout', 'warning'],
      ['c2', 'alive-flood', 'warning'],
    ]);
    expect(all.body.findings).to.deep.equal(mock.findings());
    const errors = (await get('?severity=error')) as { body: Body };
    expect(errors.body.findings.map((f) => f.check)).to.deep.equal(['pn-not-odd']);
    const c2 = (await get('?session=c2')) as { body: Body };
    expect(c2.body.findings.map((f) => f.check)).to.deep.equal(['alive-flood']);
    const byCheck = (await get('?check=close-without-logout&session=c1')) as { body: Body };
    expect(byCheck.body.findings).to.have.length(1);
    // The finding names its frame: the login record.
    const login = mock.transcript.records.find(
      (r) => r.kind === 'frame' && r.dir === 'in' && r.op === 1 && r.session === 'c1',
    );
    expect(errors.body.findings[0]?.frameSeq).to.equal(login?.seq);
  });

  it('GET /findings shows the current epoch; all=true every one', async () => {
    await misbehave();
    mock.reset();
    expect(((await get('')) as { body: Body }).body.findings).to.deep.equal([]);
    expect(((await get('?all=true')) as { body: Body }).body.findings).to.have.length(3);
  });

  it('GET /findings refuses unknown checks (with a hint), severities and parameters', async () => {
    const cases: [string, string][] = [
      ['?check=pn-reuse', '"check": unknown check "pn-reuse" (did you mean "pn-reused"?)'],
      ['?severity=fatal', '"severity" must be error or warning (got "fatal")'],
      ['?all=yes', '"all" must be true or false (got "yes")'],
      ['?sesion=c1', 'unknown query parameter "sesion" (known: session, check, severity, all)'],
    ];
    for (const [query, error] of cases) {
      const r = await get(query);
      expect(r.status, query).to.equal(400);
      expect(r.body).to.deep.include({ code: 'ERR_CONTROL_INVALID_QUERY', error });
    }
  });

  it('the shutdown summary lists the findings per check over the run', async () => {
    expect(summary(mock)).to.contain('\n  findings: none');
    await misbehave();
    mock.reset();
    expect(summary(mock)).to.contain(
      '\n  findings: pn-not-odd 1 error, close-without-logout 1 warning, alive-flood 1 warning',
    );
    expect(mock.findingErrors).to.equal(1);
  });
});

describe('a mock created with judge: false', () => {
  it('records no finding for a violation the default mock reports, and takes the same frames', async () => {
    const kinds = async (judge: boolean): Promise<{ findings: number; records: string[] }> => {
      const mock = await createMockSmsc({ port: 0, judge });
      try {
        const c = await CimdClient.connect({ port: mock.port });
        await c.request(
          1,
          [
            { code: 10, value: 'shop' },
            { code: 11, value: 'secret' },
          ],
          { pn: 2 },
        );
        await c.close();
        await mock.waitFor({ kind: 'session-close' }, { since: 0 });
        const records = mock.transcript.records.map((r) => r.kind);
        return { findings: mock.findings().length, records };
      } finally {
        await mock.stop();
      }
    };
    const judged = await kinds(true);
    const unjudged = await kinds(false);
    expect(judged.findings).to.equal(2); // pn-not-odd, close-without-logout
    expect(judged.records.filter((k) => k === 'finding')).to.have.length(2);
    expect(unjudged.findings).to.equal(0);
    expect(unjudged.records).to.deep.equal(judged.records.filter((k) => k !== 'finding'));
  });
});
