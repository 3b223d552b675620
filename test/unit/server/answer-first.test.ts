/**
 * Answer first, record after: while a session handles one socket read, the events the
 * transcript records wait until the read's answers are written, then go out in order in the
 * same job; other events are not held; reads and records from inside a handler see what
 * happened so far.
 */
import { expect } from 'chai';
import { EventEmitter } from 'node:events';
import { duplexPair } from 'node:stream';
import { createMockSmsc } from '../../../src/mock-smsc.js';
import type { ServerEvents } from '../../../src/server/events.js';
import { ServerSignals } from '../../../src/server/signals.js';
import { SmscServer } from '../../../src/server/smsc-server.js';
import type { SessionInfo } from '../../../src/server/ports.js';
import { ManualClock } from '../../../src/testing/manual-clock.js';
import { Peer, tick } from '../../helpers/duplex.js';
import { wire } from '../../helpers/wire.js';

const info: SessionInfo = { id: 'c1', user: undefined, remote: '10.0.0.1:1' };

describe('answer first (ServerSignals.hold)', () => {
  it('holds recorded events in order until release; other events go out at once', () => {
    const emitter = new EventEmitter<ServerEvents>();
    const signals = new ServerSignals(emitter, () => '127.0.0.1:1');
    const seen: string[] = [];
    emitter.on('session-closed', () => seen.push('session-closed'));
    emitter.on('logged-in', () => seen.push('logged-in'));
    emitter.on('tcp-disconnected', () => seen.push('tcp-disconnected'));
    signals.hold();
    signals.emit('session-closed', info, { code: 0, text: 'x' });
    signals.emit('logged-in', info);
    signals.emit('tcp-disconnected', 'c1', { code: 0, text: 'x' });
    expect(seen).to.deep.equal(['logged-in']);
    signals.hold(); // nested: only the outer release emits
    signals.release();
    expect(seen).to.deep.equal(['logged-in']);
    signals.release();
    expect(seen).to.deep.equal(['logged-in', 'session-closed', 'tcp-disconnected']);
    // Not holding: straight through.
    signals.emit('session-closed', info, { code: 0, text: 'y' });
    expect(seen.at(-1)).to.equal('session-closed');
  });

  it('flushHeld emits what waits now and keeps holding; a listener that throws is an error event', () => {
    const emitter = new EventEmitter<ServerEvents>();
    const signals = new ServerSignals(emitter, () => '127.0.0.1:1');
    const seen: string[] = [];
    const errors: string[] = [];
    emitter.on('error', (e) => errors.push(e.message));
    emitter.once('session-opened', () => {
      // Emitted by a listener during the flush: goes out at once, right after its cause.
      signals.emit('session-closed', info, { code: 0, text: 'nested' });
      throw new Error('listener bug');
    });
    emitter.on('session-closed', (_s, r) => seen.push(`closed ${r.text}`));
    signals.hold();
    signals.emit('session-opened', info);
    signals.emit('session-closed', info, { code: 0, text: 'first' });
    signals.flushHeld();
    expect(seen).to.deep.equal(['closed nested', 'closed first']);
    expect(errors).to.deep.equal(['listener bug']);
    signals.emit('session-closed', info, { code: 0, text: 'later' });
    expect(seen).to.have.length(2);
    signals.release();
    expect(seen).to.deep.equal(['closed nested', 'closed first', 'closed later']);
  });

  it('a submit is answered before its frame-in, decision and frame-out are emitted', async () => {
    const server = new SmscServer({ clock: new ManualClock(Date.UTC(2026, 0, 1)) });
    const [serverSide, clientSide] = duplexPair();
    const order: string[] = [];
    // Every write of the server to its side of the connection, in order with the events.
    const write = serverSide.write.bind(serverSide) as (chunk: Uint8Array) => boolean;
    serverSide.write = ((chunk: Uint8Array) => {
      order.push(`write ${Buffer.from(chunk).toString('latin1').slice(1, 3)}`);
      return write(chunk);
    }) as typeof serverSide.write;
    server.handle(serverSide, { host: '10.0.0.1', port: 1 });
    for (const event of ['frame-in', 'decision', 'frame-out', 'submit-completed'] as const)
      server.on(event, () => order.push(event));
    const peer = new Peer(clientSide);
    peer.send('<STX>01:001<TAB>010:shop<TAB>011:secret<TAB><ETX>');
    expect((await peer.next()).op).to.equal(51);
    peer.send('<STX>03:003<TAB>021:+358401234567<TAB>033:hi<TAB><ETX>');
    expect((await peer.next()).op).to.equal(53);
    await tick();
    expect(order).to.deep.equal([
      'write 51',
      'frame-in',
      'decision',
      'frame-out',
      'write 53',
      'frame-in',
      'decision',
      'frame-out',
      'submit-completed',
    ]);
    await server.close();
  });

  it('a handler reading the transcript from inside the job sees the records so far, in order', async () => {
    const mock = await createMockSmsc({ port: 0, watch: false });
    try {
      const seenInHandler: string[][] = [];
      mock.server.on('logged-in', () => {
        seenInHandler.push(mock.transcript.records.map((r) => r.kind));
      });
      const [serverSide, clientSide] = duplexPair();
      mock.server.handle(serverSide, { host: '127.0.0.1', port: 1 });
      clientSide.write(wire('<STX>01:001<TAB>010:shop<TAB>011:secret<TAB><ETX>'));
      await tick(10);
      // The login's frame-in and decision were held; the read flushed them first.
      expect(seenInHandler).to.have.length(1);
      expect(seenInHandler[0]?.slice(-3)).to.deep.equal(['session-open', 'frame', 'decision']);
      const kinds = mock.transcript.records.map((r) => r.kind);
      const seqs = mock.transcript.records.map((r) => r.seq);
      expect(kinds.slice(-4)).to.deep.equal(['session-open', 'frame', 'decision', 'frame']);
      expect(seqs).to.deep.equal(seqs.map((_, i) => (seqs[0] ?? 0) + i));
      clientSide.destroy();
    } finally {
      await mock.stop();
    }
  });
});
