import { expect } from 'chai';
import fc from 'fast-check';
import { FrameDecoder, type DecodeResult } from '../../../src/protocol/decoder.js';
import { kannelFrameBytes } from '../../fixtures/kannel-frames.js';
import { byteArb, mutate, mutationArb } from '../../helpers/mutations.js';
import { wire } from '../../helpers/wire.js';

const SEED = 42;
const RUNS = 300;
const maxArb = fc.constantFrom(24, 64, 4096);

const goldens = kannelFrameBytes();
const VALID = wire('<STX>03:009<TAB>021:123<TAB><CS><ETX>');

const bytesArb = fc.array(byteArb, { maxLength: 400 }).map((a) => Buffer.from(a));

const mutatedGoldenArb = fc
  .tuple(fc.constantFrom(...goldens), fc.array(mutationArb, { minLength: 1, maxLength: 4 }))
  .map(([g, ms]) => mutate(g, ms));

const garbageArb = fc.oneof(
  bytesArb,
  mutatedGoldenArb,
  fc.array(mutatedGoldenArb).map((a) => Buffer.concat(a)),
);

/** Cut points → chunks. */
function chunked(buf: Buffer, cuts: readonly number[]): Buffer[] {
  const points = [...new Set(cuts.map((c) => (buf.length === 0 ? 0 : c % (buf.length + 1))))].sort(
    (a, b) => a - b,
  );
  const out: Buffer[] = [];
  let prev = 0;
  for (const p of points) {
    out.push(buf.subarray(prev, p));
    prev = p;
  }
  out.push(buf.subarray(prev));
  return out;
}

function summary(r: DecodeResult): unknown {
  return r.ok
    ? { ok: true, frame: r.frame, raw: r.raw.toString('hex'), checksum: r.checksum }
    : {
        ok: false,
        code: r.error.code,
        message: r.error.message,
        raw: r.raw.toString('hex'),
        op: r.op,
        pn: r.pn,
      };
}

function feed(
  decoder: FrameDecoder,
  chunks: readonly Buffer[],
  maxFrameLength: number,
): DecodeResult[] {
  const out: DecodeResult[] = [];
  for (const c of chunks) {
    out.push(...decoder.push(c));
    expect(decoder.bufferedBytes).to.be.below(maxFrameLength);
  }
  return out;
}

describe(`FrameDecoder properties (fast-check seed ${SEED}, ${RUNS} runs each)`, () => {
  it('never throws, never buffers maxFrameLength bytes, and accounts for every byte', () => {
    fc.assert(
      fc.property(garbageArb, fc.array(fc.nat(), { maxLength: 8 }), maxArb, (input, cuts, max) => {
        const d = new FrameDecoder({ maxFrameLength: max });
        const results = feed(d, chunked(input, cuts), max);
        const reported = results.reduce((n, r) => n + r.raw.length, 0);
        expect(reported + d.discardedBytes + d.bufferedBytes).to.equal(input.length);
        for (const r of results) {
          expect(r.raw.length).to.be.at.most(max);
          if (!r.ok) expect(r.error.cimdErrorCode).to.be.oneOf([2, 8]);
        }
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });

  it('gives the same results however the input is chunked', () => {
    fc.assert(
      fc.property(garbageArb, fc.array(fc.nat(), { maxLength: 8 }), maxArb, (input, cuts, max) => {
        const whole = new FrameDecoder({ maxFrameLength: max }).push(input).map(summary);
        const d = new FrameDecoder({ maxFrameLength: max });
        const pieces = feed(d, chunked(input, cuts), max).map(summary);
        expect(pieces).to.deep.equal(whole);
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });

  it('decodes a valid frame pushed after any garbage: it is the last result', () => {
    fc.assert(
      fc.property(
        garbageArb,
        fc.array(fc.nat(), { maxLength: 4 }),
        fc.boolean(),
        maxArb,
        (garbage, cuts, separate, max) => {
          const d = new FrameDecoder({ maxFrameLength: max });
          const chunks = separate
            ? [...chunked(garbage, cuts), VALID]
            : chunked(Buffer.concat([garbage, VALID]), cuts);
          const results = feed(d, chunks, max);
          const last = results.at(-1);
          if (!last?.ok)
            return expect.fail(
              `last result is not the valid frame: ${JSON.stringify(last && summary(last))}`,
            );
          expect(last.frame).to.deep.equal({ op: 3, pn: 9, params: [{ code: 21, value: '123' }] });
          expect(last.raw.equals(VALID)).to.equal(true);
          expect(d.bufferedBytes).to.equal(0);
        },
      ),
      { seed: SEED, numRuns: RUNS },
    );
  });

  it('never throws on purely random bytes with the default limit', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2000 }), (bytes) => {
        const d = new FrameDecoder();
        d.push(bytes);
        expect(d.bufferedBytes).to.be.below(4096);
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });
});
