/** Scheduler (with the scenario's login schedule) and SessionTimers, in memory with a ManualClock. */
import { expect } from 'chai';
import { SmscServer } from '../../../../src/server/smsc-server.js';
import { ManualClock } from '../../../../src/testing/manual-clock.js';
import { connect, loggedIn, tick } from '../../../helpers/duplex.js';

describe('Scheduler: the scenario schedule at first login', () => {
  it('schedules the items for the user once, on its first login only, to the user', async () => {
    const clock = new ManualClock(Date.UTC(2026, 0, 1));
    const server = new SmscServer({ clock });
    server.useLoginSchedule(() => [
      { user: 'shop', action: { kind: 'deliver', afterMs: 1000, from: '1', to: '2', text: 'hi' } },
      { user: 'other', action: { kind: 'disconnect', afterMs: 1000 } },
    ]);
    const scheduled: unknown[] = [];
    server.on('scheduled', (_s, item) => scheduled.push(item.action));
    const first = await loggedIn(server, 'shop');
    expect(scheduled).to.deep.equal([
      { kind: 'deliver', afterMs: 1000, from: '1', to: '2', text: 'hi', target: 'user' },
    ]);
    await loggedIn(server, 'shop');
    expect(scheduled).to.have.length(1);
    expect(server.pendingItems).to.equal(1);
    // The first session closes; the deliver still goes to the user's other session.
    first.peer.stream.end();
    await tick();
    const fired: (string | undefined)[] = [];
    server.on('fired', (_s, item) => fired.push(item.cancelled));
    await clock.advance(1000);
    expect(fired).to.deep.equal([undefined]);
    await server.close({ graceMs: 0 });
  });

  it('cancels a session-bound item when its session closes', async () => {
    const clock = new ManualClock(Date.UTC(2026, 0, 1));
    const server = new SmscServer({ clock });
    const { session, peer } = await loggedIn(server, 'u');
    const cancelled: (string | undefined)[] = [];
    server.on('fired', (_s, item) => cancelled.push(item.cancelled));
    server.schedule(session, { kind: 'disconnect', afterMs: 5000 }, {});
    expect(server.pendingItems).to.equal(1);
    peer.stream.end();
    await tick();
    expect(cancelled).to.deep.equal(['session closed']);
    expect(server.pendingItems).to.equal(0);
    await server.close({ graceMs: 0 });
  });
});

describe('SessionTimers', () => {
  it('closes a session without login after loginTimeoutMs, with limit-reached', async () => {
    const clock = new ManualClock(Date.UTC(2026, 0, 1));
    const server = new SmscServer({ clock, loginTimeoutMs: 500 });
    const limits: string[] = [];
    server.on('limit-reached', (e) => limits.push(e.limit));
    const { session } = connect(server);
    await clock.advance(499);
    expect(session.isOpen).to.equal(true);
    await clock.advance(1);
    expect(session.reason).to.deep.equal({
      code: -1,
      text: 'no successful login within 500 ms (loginTimeoutMs)',
    });
    expect(limits).to.deep.equal(['loginTimeoutMs']);
    await server.close({ graceMs: 0 });
  });

  it('sends a keep-alive 40 after the interval and closes when it is not answered', async () => {
    const clock = new ManualClock(Date.UTC(2026, 0, 1));
    const server = new SmscServer({ clock, keepAliveInterval: 2, aliveTimeoutMs: 300 });
    const { session, peer } = await loggedIn(server, 'u');
    await clock.advance(2000);
    const alive = await peer.next();
    expect(alive.op).to.equal(40);
    await clock.advance(300);
    await tick();
    expect(session.reason?.text).to.equal('no answer to alive (keepalive timeout)');
    await server.close({ graceMs: 0 });
  });
});
