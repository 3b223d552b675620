/**
 * Frames packed in the in-memory transcript: a recorder writing only to a MemorySink keeps
 * frame records as their bytes plus a few values and writes their lines when read. Whatever
 * the traffic, the reads, the subscribers and the evictions in between, every read must give
 * exactly the bytes a recorder writing every line at once gives (a tee, which packs nothing).
 */
import { expect } from 'chai';
import { EventEmitter } from 'node:events';
import { FrameDecoder, type DecodeResult } from '../../../src/protocol/decoder.js';
import { encodeFrame, encodeRawFrame, looseParameters } from '../../../src/protocol/encoder.js';
import { unencodedFrames, type Frame } from '../../../src/protocol/frame.js';
import { MemorySink } from '../../../src/transcript/memory-ring.js';
import { TranscriptRecorder, type RecordableServer } from '../../../src/transcript/recorder.js';
import { TeeSink } from '../../../src/transcript/sinks.js';
import type { Clock } from '../../../src/util/clock.js';

/** A deterministic pseudo-random sequence (xorshift32). */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 0x1_0000_0000;
  };
}

/** Two recorders fed the same events: one into `packed` (a MemorySink), one into a tee. */
function pair(packed: MemorySink, redactPasswords = false) {
  const eager = new MemorySink({ maxBytes: 1 << 30 });
  const server = new EventEmitter();
  const time = { ms: Date.UTC(2026, 0, 1, 12) + 0.5 };
  const clock = { now: () => time.ms, setTimeout, clearTimeout } as unknown as Clock;
  const a = new TranscriptRecorder(packed, { clock, redactPasswords });
  const b = new TranscriptRecorder(new TeeSink([eager]), { clock, redactPasswords });
  a.attach(server as unknown as RecordableServer);
  b.attach(server as unknown as RecordableServer);
  return { eager, server, time, a, b };
}

/** The JSONL of every record kept by `sink` with seq > `after`, read with `linesAfter`. */
function lines(sink: MemorySink, after = 0): string {
  return Buffer.concat(sink.linesAfter(after, 1 << 30).chunks).toString('utf8');
}

/** The eager transcript's lines with seq > `after`. */
function eagerAfter(eager: MemorySink, after: number): string {
  return lines(eager, after);
}

const decoder = new FrameDecoder();

function decoded(bytes: Buffer): DecodeResult {
  const [r] = decoder.push(bytes);
  if (r === undefined) throw new Error('no frame');
  return r;
}

/** A random request frame (submit, login with a password, alive) with odd characters. */
function randomFrame(next: () => number, pn: number): Frame {
  const pick = Math.floor(next() * 4);
  const text = Array.from({ length: Math.floor(next() * 40) }, () =>
    String.fromCharCode(0x20 + Math.floor(next() * 0xdf)),
  )
    .join('')
    .replace(/[\t]/g, ' ');
  if (pick === 0)
    return {
      op: 1,
      pn,
      params: [
        { code: 10, value: 'user' },
        { code: 11, value: 'secret"\\' },
      ],
    };
  if (pick === 1) return { op: 40, pn, params: [] };
  return {
    op: 3,
    pn,
    params: [
      { code: 21, value: `+35840${Math.floor(next() * 1e6)}` },
      { code: 33, value: text },
    ],
  };
}

describe('frames packed in the in-memory transcript', () => {
  it('keeps frames in fewer bytes than their lines, and reads them as the same lines', () => {
    const packed = new MemorySink();
    const { eager, server } = pair(packed);
    const session = { id: 'c1', user: undefined, remote: '127.0.0.1:1' };
    for (let pn = 1; pn < 200; pn += 2) {
      const req = encodeFrame(randomFrame(rng(pn), pn));
      server.emit('frame-in', session, decoded(req));
      const answer: Frame = { op: 53, pn, params: [{ code: 21, value: '+358401' }] };
      server.emit('frame-out', session, answer, encodeFrame(answer));
      server.emit('submit-completed', {
        clientId: 'c1',
        user: 'shop',
        destination: '+358401',
        originator: undefined,
        text: 'Hello',
        encoding: 'gsm7',
        parts: 1,
        packetNumbers: [pn],
        timestamps: ['260101120000'],
      });
    }
    expect(lines(packed)).to.equal(lines(eager));
    expect(packed.bytes).to.be.lessThan(eager.bytes / 2);
    expect(packed.records).to.deep.equal(eager.records);
  });

  it('gives the same bytes through random traffic, reads, subscribers and evictions', () => {
    for (const seed of [1, 2, 3]) {
      const next = rng(seed);
      const packed = new MemorySink({ maxBytes: 16 * 1024, ...(seed === 2 ? { limit: 50 } : {}) });
      const { eager, server, time, a, b } = pair(packed, seed === 3);
      const sessions = ['c1', 'c22', 'c333-ü'].map((id) => ({
        id,
        user: undefined,
        remote: '127.0.0.1:9',
      }));
      let unsubscribe: (() => void) | undefined;
      let seen = 0;
      for (let i = 0; i < 3000; i++) {
        const s = sessions[Math.floor(next() * sessions.length)] ?? {
          id: 'c0',
          user: undefined,
          remote: 'x',
        };
        const roll = next();
        if (roll < 0.4) {
          const req = encodeFrame(randomFrame(next, i % 256), { checksum: next() < 0.7 });
          server.emit('frame-in', s, decoded(req));
        } else if (roll < 0.7) {
          const f: Frame = { op: 53, pn: i % 256, params: [{ code: 60, value: '260101120000' }] };
          server.emit('frame-out', s, f, encodeFrame(f), next() < 0.05 ? 'garble' : undefined);
        } else if (roll < 0.75) {
          // Bytes the caller gave (cimd2SendRAW): recorded as they are.
          const body = Buffer.from('021:12\t033:x\tbroken', 'latin1');
          const f: Frame = { op: 3, pn: 7, params: looseParameters(body) };
          unencodedFrames.add(f);
          server.emit('frame-out', s, f, encodeRawFrame(3, 7, body));
        } else if (roll < 0.8) {
          server.emit(
            'frame-in',
            s,
            decoded(Buffer.from('\u000203:021\t021:1\t00\u0003', 'latin1')),
          );
        } else if (roll < 0.83) {
          // A completed message: text with odd characters (a lone surrogate too) or bytes.
          const parts = 1 + Math.floor(next() * 3);
          const binary = next() < 0.2;
          const pns = Array.from({ length: parts }, (_, k) => (i + k) % 256);
          server.emit('submit-completed', {
            clientId: s.id,
            user: next() < 0.8 ? 'shop' : undefined,
            destination: `+3584${i}`,
            originator: next() < 0.5 ? '12345' : undefined,
            ...(binary
              ? { bytes: Buffer.from([0, 1, 0xff, i % 256]) }
              : { text: `héllo ${i} \ud800 "€" \n` }),
            encoding: binary ? 'binary' : 'ucs2',
            parts,
            ...(parts > 1 ? { reference: i % 65536 } : {}),
            packetNumbers: pns,
            timestamps: pns.map((_, k) => (k === 1 ? undefined : `2601011200${k}0`)),
          });
        } else if (roll < 0.85) {
          // Another kind, written as its line now, between packed frames.
          a.record('session-open', { remote: 'x' }, s.id);
          b.record('session-open', { remote: 'x' }, s.id);
        } else if (roll < 0.9) {
          // A read in the middle: the open chunk is written as far as it is, then grows.
          const after = Math.max(0, packed.evictedThroughSeq);
          expect(lines(packed, after)).to.equal(eagerAfter(eager, after));
          // A follower's read from where it stopped (or from the oldest record still kept).
          seen = Math.max(seen, after);
          const tail = packed.bytesAfter(seen, 4096);
          expect(Buffer.concat(tail.chunks).toString('utf8')).to.equal(
            Buffer.concat(eager.bytesAfter(seen, 4096).chunks).toString('utf8'),
          );
          seen = tail.lastSeq;
        } else if (roll < 0.93) {
          if (unsubscribe === undefined) unsubscribe = packed.subscribe(() => undefined);
          else {
            unsubscribe();
            unsubscribe = undefined;
          }
        } else {
          time.ms += Math.floor(next() * 5);
        }
      }
      unsubscribe?.();
      const after = packed.evictedThroughSeq;
      expect(packed.truncated, `seed ${seed}`).to.equal(true);
      expect(lines(packed, after), `seed ${seed}`).to.equal(eagerAfter(eager, after));
      expect(packed.recordsAfter(after)).to.deep.equal(eager.recordsAfter(after));
    }
  });
});
