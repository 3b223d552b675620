/** The answer builders table: pure functions of request, step and services. */
import { expect } from 'chai';
import type { Frame } from '../../../../src/protocol/frame.js';
import {
  answerFor,
  POSITIVE_ANSWERS,
  type AnswerServices,
} from '../../../../src/server/answers.js';
import type { RequestContext } from '../../../../src/server/ports.js';
import { decodeRequest } from '../../../../src/server/request.js';

function request(frame: Frame): RequestContext {
  return {
    session: { id: 'c1', user: 'u', remote: 'r' },
    frame,
    opName: 'x',
    fields: decodeRequest(frame).fields,
    now: 0,
    userSessions: 0,
  };
}

function services(): AnswerServices & { log: string[] } {
  const log: string[] = [];
  const statuses = new Map<string, number>([['260101000000|+1', 4]]);
  return {
    log,
    allocate: (d) => (log.push(`allocate ${d}`), '260101000009'),
    reserve: (d, ts) => log.push(`reserve ${d} ${ts}`),
    accepted: (ts, d) => log.push(`accepted ${ts} ${d}`),
    status: (ts, d) => statuses.get(`${ts}|${d}`),
    now: () => '260101000001',
  };
}

describe('answer builders', () => {
  it('covers login, logout, submit, enquire, delivery request and get', () => {
    expect([...POSITIVE_ANSWERS.keys()].sort((a, b) => a - b)).to.deep.equal([1, 2, 3, 4, 5, 9]);
  });

  it('submit: 021 and an allocated 060, recorded as accepted, throttled', () => {
    const s = services();
    const a = answerFor(
      request({ op: 3, pn: 5, params: [{ code: 21, value: '+1' }] }),
      { kind: 'respond' },
      s,
    );
    expect(a.frames).to.deep.equal([
      {
        op: 53,
        pn: 5,
        params: [
          { code: 21, value: '+1' },
          { code: 60, value: '260101000009' },
        ],
      },
    ]);
    expect(a).to.deep.include({ timestamp: '260101000009', throttled: true });
    expect(s.log).to.deep.equal(['allocate +1', 'accepted 260101000009 +1']);
  });

  it('submit with a fixed 060 reserves it instead of allocating; extras override by code', () => {
    const s = services();
    const a = answerFor(
      request({ op: 3, pn: 5, params: [{ code: 21, value: '+1' }] }),
      {
        kind: 'respond',
        timestamp: '260101000005',
        params: [
          { code: 21, value: '+2' },
          { code: 64, value: '7' },
        ],
      },
      s,
    );
    expect(a.frames[0]?.params).to.deep.equal([
      { code: 21, value: '+2' },
      { code: 60, value: '260101000005' },
      { code: 64, value: '7' },
    ]);
    expect(s.log).to.deep.equal(['reserve +1 260101000005', 'accepted 260101000005 +1']);
  });

  it('login logs the user in; logout closes after its 52', () => {
    const login = answerFor(
      request({ op: 1, pn: 1, params: [{ code: 10, value: 'shop' }] }),
      { kind: 'respond' },
      services(),
    );
    expect(login).to.deep.equal({ frames: [{ op: 51, pn: 1, params: [] }], login: 'shop' });
    const logout = answerFor(
      request({ op: 2, pn: 3, params: [] }),
      { kind: 'respond' },
      services(),
    );
    expect(logout).to.deep.equal({ frames: [{ op: 52, pn: 3, params: [] }], closeAfter: true });
  });

  it('enquire answers a known message with its status, an unknown one with 900:7', () => {
    const known = answerFor(
      request({
        op: 4,
        pn: 7,
        params: [
          { code: 21, value: '+1' },
          { code: 60, value: '260101000000' },
        ],
      }),
      { kind: 'respond' },
      services(),
    );
    expect(known.frames[0]?.params).to.deep.include({ code: 61, value: '4' });
    const unknown = answerFor(
      request({
        op: 4,
        pn: 7,
        params: [
          { code: 21, value: '+9' },
          { code: 60, value: '260101000000' },
        ],
      }),
      { kind: 'respond' },
      services(),
    );
    expect(unknown.frames[0]?.params[0]).to.deep.equal({ code: 900, value: '7' });
  });

  it('get answers MC time (501) from the services and 900 for other items', () => {
    const mc = answerFor(
      request({ op: 9, pn: 9, params: [{ code: 500, value: '501' }] }),
      { kind: 'respond' },
      services(),
    );
    expect(mc.frames).to.deep.equal([
      { op: 59, pn: 9, params: [{ code: 501, value: '260101000001' }] },
    ]);
    const other = answerFor(
      request({ op: 9, pn: 11, params: [{ code: 500, value: '1' }] }),
      { kind: 'respond' },
      services(),
    );
    expect(other.frames[0]?.params[0]).to.deep.equal({ code: 900, value: '900' });
  });

  it('error keeps a submit 021; nack, generalError, drop and disconnect as steps say', () => {
    const sub = request({ op: 3, pn: 5, params: [{ code: 21, value: '+1' }] });
    expect(
      answerFor(sub, { kind: 'error', code: 10, text: 'busy' }, services()).frames,
    ).to.deep.equal([
      {
        op: 53,
        pn: 5,
        params: [
          { code: 21, value: '+1' },
          { code: 900, value: '10' },
          { code: 901, value: 'busy' },
        ],
      },
    ]);
    expect(answerFor(sub, { kind: 'nack' }, services()).frames).to.deep.equal([
      { op: 99, pn: 5, params: [] },
    ]);
    expect(answerFor(sub, { kind: 'generalError', code: 6 }, services()).frames[0]?.op).to.equal(
      98,
    );
    expect(answerFor(sub, { kind: 'drop' }, services())).to.deep.equal({ frames: [] });
    expect(answerFor(sub, { kind: 'disconnect' }, services())).to.deep.equal({
      frames: [],
      disconnect: true,
    });
  });

  it('other operations get op + 50 with the step parameters', () => {
    const a = answerFor(
      request({ op: 40, pn: 11, params: [] }),
      { kind: 'respond', params: [{ code: 99, value: 'x' }] },
      services(),
    );
    expect(a.frames).to.deep.equal([{ op: 90, pn: 11, params: [{ code: 99, value: 'x' }] }]);
  });
});
