/**
 * Kannel 1.4.5's recorded frames (test/fixtures/kannel-frames.jsonl) replayed byte for byte over
 * TCP against the server with its built-in behaviour: every answer is what Kannel expects
 * (docs/protocol.md#what-a-server-must-do-for-kannel checklist).
 */
import { expect } from 'chai';
import net from 'node:net';
import { SmscServer } from '../../src/server/smsc-server.js';
import { Peer } from '../helpers/duplex.js';
import { kannelFrameLines } from '../fixtures/kannel-frames.js';
import type { Received } from '../helpers/duplex.js';

function param(f: Received, code: number): string | undefined {
  return f.params.find((p) => p.code === code)?.value;
}

describe('Kannel 1.4.5 exchange replayed against the server (TCP)', () => {
  let server: SmscServer;
  let peer: Peer;

  before(async () => {
    server = new SmscServer({ statusReportDelayMs: 10 });
    const { port } = await server.listen({ host: '127.0.0.1', port: 0 });
    const socket = net.connect({ host: '127.0.0.1', port });
    await new Promise((r) => socket.once('connect', r));
    peer = new Peer(socket);
  });

  after(async () => {
    peer.stream.destroy();
    await server.close({ graceMs: 0 });
  });

  it("answers every request the way Kannel expects, and Kannel's acks match the server's requests", async () => {
    const lines = kannelFrameLines();
    const byCase = new Map(lines.map((l) => [l.case, l]));
    const send = (c: string): void => {
      peer.send(Buffer.from(byCase.get(c)!.raw, 'latin1'));
    };
    const timestamps = new Map<string, string>();
    const reports: Received[] = [];
    // Kannel acks a 23 at once with 73 and the same number: the recorded acks, by number.
    const acks = new Map(
      lines.filter((l) => l.op === '73').map((l) => [Number(l.seq), Buffer.from(l.raw, 'latin1')]),
    );
    const ack = (r: Received): void => {
      reports.push(r);
      const a = acks.get(r.pn);
      expect(a, `recorded 73 for pn ${r.pn}`).to.not.equal(undefined);
      peer.send(a!);
    };

    // 1. login 01:001 → 51:001 without 900.
    send('login');
    const login = await peer.next();
    expect([login.op, login.pn, login.params]).to.deep.equal([51, 1, []]);

    // 2–4. each submit → 53 with the same pn, 021 echoed and a unique 060; no 900.
    const submits = lines.filter((l) => l.case.startsWith('submit/'));
    for (const s of submits) {
      peer.send(Buffer.from(s.raw, 'latin1'));
      let r = await peer.next();
      while (r.op === 23) {
        ack(r);
        r = await peer.next();
      }
      expect([r.op, r.pn], s.case).to.deep.equal([53, Number(s.seq)]);
      expect(param(r, 900), s.case).to.equal(undefined);
      const dest = s.params.find((p) => p.id === '021')!.value;
      expect(param(r, 21)).to.equal(dest);
      expect(param(r, 60)).to.match(/^\d{12}$/);
      timestamps.set(`${param(r, 60)}|${dest}`, s.case);
    }
    expect(timestamps.size).to.equal(submits.length);

    // 6. a status report for every submit that asked (056:14: all but part 2 of the long one),
    //    with even packet numbers 000, 002, …, the exact 060 and 021 of its 53, and 061:4.
    while (reports.length < 6) ack(await peer.next());
    expect(reports.map((r) => [r.op, r.pn])).to.deep.equal(
      [0, 2, 4, 6, 8, 10].map((pn) => [23, pn]),
    );
    for (const r of reports) {
      expect(timestamps.has(`${param(r, 60)}|${param(r, 21)}`)).to.equal(true);
      expect(param(r, 61)).to.equal('4');
    }

    // 7–8. MOs as Kannel received them, numbered on from the reports (012, 014), acked by 70.
    const session = server.sessions()[0]!;
    const mos: [string, string, string, string, number][] = [
      ['mo-1-gsm7', '358401112222', 'MO test äöü € {ok} @ £', '261125205952', 12],
      ['mo-2-ucs2', '358401112223', 'Привет MO', '261125205953', 14],
    ];
    for (const [name, originator, text, timestamp, pn] of mos) {
      const done = server.sendDeliverMessage(session.id, {
        destination: '12345',
        originator,
        text,
        timestamp,
      });
      const frame = await peer.next();
      const c = `deliver-message-response/${name}`;
      expect(frame.raw.toString('latin1'), c).to.equal(byCase.get(c)!.server_request!.raw);
      send(c);
      expect(await done).to.deep.include({ packetNumbers: [pn], acknowledged: true });
    }

    // 9. Kannel's alive 40:017 → 90:017; logout 02:019 → 52:019, then the link closes.
    send('alive');
    const alive = await peer.next();
    expect([alive.op, alive.pn, alive.params]).to.deep.equal([90, 17, []]);
    send('logout');
    const logout = await peer.next();
    expect([logout.op, logout.pn, logout.params]).to.deep.equal([52, 19, []]);
    await peer.whenEnded();
  });
});
