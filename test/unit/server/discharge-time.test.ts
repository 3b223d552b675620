import { expect } from 'chai';
import { SmscServer } from '../../../src/server/smsc-server.js';
import { TimestampAllocator } from '../../../src/server/timestamps.js';
import { ManualClock } from '../../../src/testing/manual-clock.js';
import { loggedIn, type Received } from '../../helpers/duplex.js';

function param(frame: Received, code: number): string | undefined {
  return frame.params.find((p) => p.code === code)?.value;
}

describe('063 discharge time of status reports', () => {
  describe('TimestampAllocator.dischargeTime', () => {
    it('is the clock, but never before the 060 it reports on', () => {
      const clock = new ManualClock(Date.UTC(2026, 10, 25, 12, 0, 0, 400));
      const a = new TimestampAllocator(clock);
      const ts = [a.allocate('1'), a.allocate('1'), a.allocate('1')];
      expect(ts).to.deep.equal(['261125120000', '261125120001', '261125120002']);
      expect(ts.map((t) => a.dischargeTime(t))).to.deep.equal(ts);
    });

    it('never goes back behind an earlier default 063', () => {
      const clock = new ManualClock(Date.UTC(2026, 10, 25, 12, 0, 0));
      const a = new TimestampAllocator(clock);
      const ahead = [a.allocate('1'), a.allocate('1'), a.allocate('1')];
      const other = a.allocate('2');
      expect(other).to.equal('261125120000');
      expect(a.dischargeTime(ahead[2]!)).to.equal('261125120002');
      // Reported later, about an earlier 060: not before the 063 already sent.
      expect(a.dischargeTime(other)).to.equal('261125120002');
    });

    it('lets a 060 beyond every allocated second lift only its own 063', () => {
      const clock = new ManualClock(Date.UTC(2026, 10, 25, 12, 0, 0));
      const a = new TimestampAllocator(clock, { timeZone: 'Europe/Helsinki' });
      expect(a.dischargeTime('261126000000')).to.equal('261126000000');
      expect(a.dischargeTime('261125130000')).to.equal('261125140000');
      expect(a.dischargeTime('not a time')).to.equal('261125140000');
    });
  });

  describe('SmscServer', () => {
    let clock: ManualClock;
    let server: SmscServer;

    beforeEach(() => {
      clock = new ManualClock(Date.UTC(2026, 10, 25, 12, 0, 0, 100));
      server = new SmscServer({ clock, window: 50, statusReportDelayMs: 300 });
    });

    afterEach(async () => {
      await server.close({ graceMs: 0 });
    });

    it('gives scheduled reports of many submits in one second a 063 ≥ their 060, in order', async () => {
      const { peer } = await loggedIn(server);
      const destinations = ['111', '111', '111', '222', '111', '222', '333', '111'];
      destinations.forEach((d, i) => {
        const pn = String(3 + 2 * i).padStart(3, '0');
        peer.send(`<STX>03:${pn}<TAB>021:${d}<TAB>033:m${i}<TAB>056:8<TAB><ETX>`);
      });
      const submitted = new Map<string, string>();
      for (const d of destinations) {
        const r = await peer.next();
        expect(r.op).to.equal(53);
        expect(param(r, 21)).to.equal(d);
        submitted.set(`${param(r, 60)}|${d}`, d);
      }
      // The 060 allocator ran ahead of the clock (still at 12:00:00.100) for '111'.
      expect([...submitted.keys()].filter((k) => k.endsWith('|111'))).to.deep.equal([
        '261125120000|111',
        '261125120001|111',
        '261125120002|111',
        '261125120003|111',
        '261125120004|111',
      ]);

      await clock.advance(300);
      const reports: Received[] = [];
      while (reports.length < destinations.length) {
        const r = await peer.next();
        expect(r.op).to.equal(23);
        peer.send(`<STX>73:${String(r.pn).padStart(3, '0')}<TAB><ETX>`);
        reports.push(r);
      }
      const pairs = reports.map((r) => [param(r, 60)!, param(r, 63)!, param(r, 21)!] as const);
      // Every submit got exactly one report.
      expect(pairs.map(([t, , d]) => `${t}|${d}`).sort()).to.deep.equal(
        [...submitted.keys()].sort(),
      );
      for (const [t, discharged] of pairs)
        expect(discharged >= t, `063 ${discharged} ≥ 060 ${t}`).to.equal(true);
      const dischargeTimes = pairs.map(([, d]) => d);
      expect(dischargeTimes).to.deep.equal([...dischargeTimes].sort());
      expect(dischargeTimes[0]).to.equal('261125120000');
      expect(dischargeTimes.at(-1)).to.equal('261125120004');
    });

    it('gives control/component API reports the same floor, and keeps an explicit 063', async () => {
      const { peer, session } = await loggedIn(server);
      const answer = async (): Promise<Received> => {
        const r = await peer.next();
        peer.send(`<STX>73:${String(r.pn).padStart(3, '0')}<TAB><ETX>`);
        return r;
      };
      const send = (messageTimestamp: string, dischargeTime?: string): Promise<Received> => {
        void server.sendDeliverStatusReport(session.id, {
          messageTimestamp,
          destination: '111',
          status: 4,
          ...(dischargeTime !== undefined ? { dischargeTime } : {}),
        });
        return answer();
      };
      for (const pn of ['003', '005', '007']) {
        peer.send(`<STX>03:${pn}<TAB>021:111<TAB>033:x<TAB><ETX>`);
        expect(param(await peer.next(), 60)).to.match(/^26112512000[0-2]$/);
      }
      expect(param(await send('261125120002'), 63)).to.equal('261125120002');
      expect(param(await send('261125120000'), 63)).to.equal('261125120002');
      expect(param(await send('261125120002', '261125110000'), 63)).to.equal('261125110000');
      // A 060 the server never handed out, far ahead: its own 063 only.
      expect(param(await send('261125130000'), 63)).to.equal('261125130000');
      expect(param(await send('261125120000'), 63)).to.equal('261125120002');
      await clock.advance(5000);
      expect(param(await send('261125120000'), 63)).to.equal('261125120005');
    });
  });
});
