import { expect } from 'chai';
import { cimdProtocol, cimdSubmitFrame } from '../../../src/bench/cimd.js';
import type { ResponseSink } from '../../../src/bench/protocol.js';
import { wire, withChecksum } from '../../helpers/wire.js';

const pad = (pn: number): string => String(pn).padStart(3, '0');

interface Recorded extends ResponseSink {
  readonly responses: [number, string | undefined][];
  readonly replies: Buffer[];
  readonly bad: { count: number };
}

function recorder(): Recorded {
  const responses: [number, string | undefined][] = [];
  const replies: Buffer[] = [];
  const bad = { count: 0 };
  return {
    responses,
    replies,
    bad,
    response(id, error) {
      responses.push([id, error]);
    },
    reply(bytes) {
      replies.push(Buffer.from(bytes));
    },
    malformed() {
      bad.count++;
    },
  };
}

describe('cimdProtocol (bench)', () => {
  it('builds the submit with 021 and the GSM text in 033, checksummed, for every odd packet number', () => {
    for (let pn = 1; pn <= 255; pn += 2) {
      expect(cimdSubmitFrame({ destination: '+358401234567', text: 'Hello' }, pn)).to.deep.equal(
        withChecksum(`<STX>03:${pad(pn)}<TAB>021:+358401234567<TAB>033:Hello<TAB><ETX>`),
      );
    }
  });

  it('writes CIMD escapes and omits the checksum when asked', () => {
    expect(cimdSubmitFrame({ destination: '123', text: 'a@b', checksum: false }, 7)).to.deep.equal(
      wire('<STX>03:007<TAB>021:123<TAB>033:a_Oab<TAB><ETX>'),
    );
  });

  it('sends UCS2 text as 034 with DCS 8', () => {
    expect(cimdSubmitFrame({ destination: '1', text: 'Жж' }, 1)).to.deep.equal(
      withChecksum('<STX>03:001<TAB>021:1<TAB>034:04160436<TAB>030:8<TAB><ETX>'),
    );
  });

  it('refuses a text longer than one SMS', () => {
    expect(() => cimdProtocol({ text: 'x'.repeat(161) })).to.throw(/septets/);
  });

  it('logs in with 010 and 011, adding 019 only for a window above 1', () => {
    const p = cimdProtocol();
    expect(
      Buffer.from(p.connection({ user: 'u', password: 'p', window: 1 }).login(1)),
    ).to.deep.equal(withChecksum('<STX>01:001<TAB>010:u<TAB>011:p<TAB><ETX>'));
    expect(
      Buffer.from(p.connection({ user: 'u', password: 'p', window: 32 }).login(3)),
    ).to.deep.equal(withChecksum('<STX>01:003<TAB>010:u<TAB>011:p<TAB>019:32<TAB><ETX>'));
  });

  it('hands out odd packet numbers in turn, wrapping after 255 and skipping busy ones', () => {
    const c = cimdProtocol().connection({ user: 'u', password: 'p', window: 1 });
    const busy = new Set([5, 1]);
    const got: number[] = [];
    for (let i = 0; i < 130; i++) got.push(c.nextId((id) => busy.has(id)));
    expect(got.slice(0, 3)).to.deep.equal([3, 7, 9]);
    expect(got.slice(125, 128)).to.deep.equal([255, 3, 7]);
  });

  it('reports responses with their packet number and an error label, across chunk boundaries', () => {
    const c = cimdProtocol().connection({ user: 'u', password: 'p', window: 8 });
    const sink = recorder();
    const bytes = Buffer.concat([
      withChecksum('<STX>51:001<TAB><ETX>'),
      withChecksum('<STX>53:003<TAB>021:1<TAB>060:260101120000<TAB><ETX>'),
      withChecksum('<STX>53:005<TAB>900:300<TAB>901:Incorrect destination address<TAB><ETX>'),
      withChecksum('<STX>53:007<TAB>900:0<TAB><ETX>'),
      withChecksum('<STX>98:009<TAB>900:6<TAB><ETX>'),
      withChecksum('<STX>99:011<TAB><ETX>'),
    ]);
    c.read(bytes.subarray(0, 20), sink);
    c.read(bytes.subarray(20), sink);
    expect(sink.responses).to.deep.equal([
      [1, undefined],
      [3, undefined],
      [5, '53:300'],
      [7, undefined],
      [9, '98:6'],
      [11, 'nack'],
    ]);
    expect(sink.bad.count).to.equal(0);
  });

  it('acknowledges deliveries, status reports and alives from the server with op + 50', () => {
    const c = cimdProtocol().connection({ user: 'u', password: 'p', window: 1 });
    const sink = recorder();
    c.read(
      Buffer.concat([
        withChecksum('<STX>20:002<TAB>021:1<TAB>033:hi<TAB><ETX>'),
        withChecksum('<STX>23:004<TAB>061:4<TAB><ETX>'),
        withChecksum('<STX>40:006<TAB><ETX>'),
      ]),
      sink,
    );
    expect(sink.replies).to.deep.equal([
      withChecksum('<STX>70:002<TAB><ETX>'),
      withChecksum('<STX>73:004<TAB><ETX>'),
      withChecksum('<STX>90:006<TAB><ETX>'),
    ]);
    expect(sink.responses).to.deep.equal([]);
  });

  it('counts a packet with a bad checksum as malformed', () => {
    const c = cimdProtocol().connection({ user: 'u', password: 'p', window: 1 });
    const sink = recorder();
    c.read(wire('<STX>53:003<TAB>00<ETX>'), sink);
    expect(sink.bad.count).to.equal(1);
    expect(sink.responses).to.deep.equal([]);
  });
});
