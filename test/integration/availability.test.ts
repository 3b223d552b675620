/**
 * Availability over real TCP on 127.0.0.1: a client that half-closes (FIN) after its requests
 * still receives the delayed answers, then the server's FIN (bounded by lingerMs), and one
 * remote address cannot take every session slot (maxSessionsPerAddress; Linux routes all of
 * 127/8 to lo, so 127.0.0.2 and 127.0.0.3 are two client addresses).
 */
import { expect } from 'chai';
import { once } from 'node:events';
import net from 'node:net';
import { createMockSmsc, type MockSmsc } from '../../src/mock-smsc.js';
import { FrameDecoder } from '../../src/protocol/decoder.js';
import type { Frame } from '../../src/protocol/frame.js';
import { wire } from '../helpers/wire.js';

const delayedScenario = (delay: string): { yaml: string } => ({
  yaml: [
    'version: 1',
    'name: delayed',
    'rules:',
    '  - when: { op: submit }',
    `    then: [ { delay: ${delay} }, { respond: {} } ]`,
    '',
  ].join('\n'),
});

const LOGIN = '<STX>01:001<TAB>010:shop<TAB>011:secret<TAB><ETX>';
const submit = (pn: number): string =>
  `<STX>03:${String(pn).padStart(3, '0')}<TAB>021:358401<TAB>033:hi<TAB><ETX>`;

/** A raw TCP client: its frames in order, and when the server's FIN came. */
class RawClient {
  readonly socket: net.Socket;
  readonly frames: Frame[] = [];
  endedAt: number | undefined;
  private readonly decoder = new FrameDecoder();

  constructor(port: number, localAddress = '127.0.0.1') {
    this.socket = net.connect({ port, host: '127.0.0.1', localAddress, allowHalfOpen: true });
    this.socket.on('data', (chunk: Buffer) => {
      for (const r of this.decoder.push(chunk)) if (r.ok) this.frames.push(r.frame);
    });
    this.socket.on('end', () => {
      this.endedAt = Date.now();
    });
    this.socket.on('error', () => undefined);
  }

  async frameCount(n: number, timeoutMs = 3000): Promise<void> {
    await until(`${n} frames`, () => this.frames.length >= n, timeoutMs);
  }
}

async function until(what: string, ok: () => boolean, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('Availability over TCP', function () {
  this.timeout(15_000);
  let mock: MockSmsc;

  afterEach(async () => {
    await mock.stop();
  });

  it('a client that half-closes after 3 delayed submits receives the 3 answers, then the FIN; all recorded', async () => {
    mock = await createMockSmsc({ port: 0, scenario: delayedScenario('200ms') });
    const client = new RawClient(mock.port);
    await once(client.socket, 'connect');
    client.socket.write(wire(LOGIN));
    await client.frameCount(1);
    const sentAt = Date.now();
    client.socket.write(wire(submit(3) + submit(5) + submit(7)));
    client.socket.end();
    await until('the server FIN', () => client.endedAt !== undefined);
    expect(client.frames.map((f) => [f.op, f.pn])).to.deep.equal([
      [51, 1],
      [53, 3],
      [53, 5],
      [53, 7],
    ]);
    expect((client.endedAt ?? 0) - sentAt).to.be.at.least(190);
    const session = mock.transcript.ofKind('session-open')[0]?.session;
    const out = mock.transcript
      .ofKind('frame')
      .filter((r) => r.dir === 'out' && r.session === session)
      .map((r) => [r.op, r.pn]);
    expect(out).to.deep.equal([
      [51, 1],
      [53, 3],
      [53, 5],
      [53, 7],
    ]);
    expect(mock.transcript.ofKind('decision')).to.have.length(4);
    const closes = mock.transcript.ofKind('session-close');
    expect(closes.map((r) => [r.session, r.code, r.reason])).to.deep.equal([
      [session, 0, 'client half-closed; answers sent'],
    ]);
    const kinds = mock.transcript.records.map((r) => r.kind);
    expect(kinds.lastIndexOf('frame')).to.be.lessThan(kinds.indexOf('session-close'));
  });

  it('a 60 s delay with lingerMs 300 closes after the linger with a clear reason, no answer sent', async () => {
    mock = await createMockSmsc({ port: 0, scenario: delayedScenario('60s'), lingerMs: 300 });
    const client = new RawClient(mock.port);
    await once(client.socket, 'connect');
    client.socket.write(wire(LOGIN));
    await client.frameCount(1);
    const sentAt = Date.now();
    client.socket.write(wire(submit(3)));
    client.socket.end();
    await until('the server FIN', () => client.endedAt !== undefined);
    const after = (client.endedAt ?? 0) - sentAt;
    expect(after).to.be.at.least(290).and.below(5000);
    expect(client.frames.map((f) => f.op)).to.deep.equal([51]);
    expect(mock.transcript.ofKind('session-close').map((r) => [r.code, r.reason])).to.deep.equal([
      [-1, 'client half-closed; 1 answer not sent within lingerMs (300 ms)'],
    ]);
  });

  it('maxSessionsPerAddress refuses the 3rd connection from 127.0.0.2 at accept while 127.0.0.3 gets in', async () => {
    mock = await createMockSmsc({ port: 0, maxSessionsPerAddress: 2 });
    const inside: RawClient[] = [];
    for (const user of ['a', 'b']) {
      const c = new RawClient(mock.port, '127.0.0.2');
      await once(c.socket, 'connect');
      c.socket.write(wire(`<STX>01:001<TAB>010:${user}<TAB>011:p<TAB><ETX>`));
      await c.frameCount(1);
      inside.push(c);
    }
    const extra = new RawClient(mock.port, '127.0.0.2');
    await until('the FIN of the refused connection', () => extra.endedAt !== undefined);
    expect(extra.frames).to.deep.equal([]);
    const other = new RawClient(mock.port, '127.0.0.3');
    await once(other.socket, 'connect');
    other.socket.write(wire(`<STX>01:001<TAB>010:c<TAB>011:p<TAB><ETX>${submit(3)}`));
    await other.frameCount(2);
    expect(other.frames.map((f) => [f.op, f.params.length])).to.deep.equal([
      [51, 0],
      [53, 2],
    ]);
    const closes = mock.transcript.ofKind('session-close');
    expect(closes.map((r) => [r.code, r.reason])).to.deep.equal([
      [-1, 'too many connections from 127.0.0.2: maxSessionsPerAddress (2) reached'],
    ]);
    expect(mock.transcript.ofKind('session-open').map((r) => r.remote.split(':')[0])).to.deep.equal(
      ['127.0.0.2', '127.0.0.2', '127.0.0.2', '127.0.0.3'],
    );
    for (const c of [...inside, other]) c.socket.destroy();
  });
});
