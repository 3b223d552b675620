import { expect } from 'chai';
import { FrameDecoder, type DecodeResult } from '../../../src/protocol/decoder.js';
import { encodeFrame } from '../../../src/protocol/encoder.js';
import type { Frame } from '../../../src/protocol/frame.js';
import { PARAMETERS, paramInfo } from '../../../src/protocol/parameters.js';
import { validateParameters } from '../../../src/protocol/validate.js';
import { kannelFrameLines } from '../../fixtures/kannel-frames.js';
import { allSplits, bytewise } from '../../helpers/wire.js';

interface Golden {
  name: string;
  bytes: Buffer;
  hex: string;
  op: number;
  pn: number;
  params: { code: number; value: string }[];
}

const lines = kannelFrameLines();

// Independent reading of a server_request (the fixture lists no params for those):
// split the text between the header and the checksum at TABs.
function naiveParse(raw: string): Pick<Golden, 'op' | 'pn' | 'params'> {
  const body = raw.slice(1, -1).split('\t');
  const [op, pn] = body[0]!.split(':');
  const params = body.slice(1, -1).map((p) => ({ code: Number(p.slice(0, 3)), value: p.slice(4) }));
  return { op: Number(op), pn: Number(pn), params };
}

const goldens: Golden[] = [];
for (const l of lines) {
  goldens.push({
    name: l.case,
    bytes: Buffer.from(l.raw, 'latin1'),
    hex: l.hex,
    op: Number(l.op),
    pn: Number(l.seq),
    params: l.params.map((p) => ({ code: Number(p.id), value: p.value })),
  });
  if (l.server_request) {
    goldens.push({
      name: `${l.case} (server request)`,
      bytes: Buffer.from(l.server_request.raw, 'latin1'),
      hex: l.server_request.hex,
      ...naiveParse(l.server_request.raw),
    });
  }
}

function expectGolden(result: DecodeResult | undefined, g: Golden): void {
  expect(result, g.name).to.not.equal(undefined);
  if (!result?.ok) expect.fail(`${g.name}: ${result?.error.message ?? 'no result'}`);
  const frame: Frame = result.frame;
  expect(frame.op).to.equal(g.op);
  expect(frame.pn).to.equal(g.pn);
  expect(frame.params.map((p) => ({ code: p.code, value: p.value }))).to.deep.equal(g.params);
  expect(result.checksum).to.equal('valid');
  expect(result.raw.equals(g.bytes)).to.equal(true);
}

function decodeChunks(chunks: readonly Uint8Array[]): DecodeResult[] {
  const d = new FrameDecoder();
  const out: DecodeResult[] = [];
  for (const c of chunks) out.push(...d.push(c));
  expect(d.bufferedBytes).to.equal(0);
  return out;
}

describe('golden Kannel 1.4.5 frames', () => {
  it('has the expected number of fixture frames', () => {
    expect(lines).to.have.length(19);
    expect(goldens).to.have.length(19 + 9);
  });

  it('fixture raw text and hex agree', () => {
    for (const g of goldens) expect(g.bytes.toString('hex').toUpperCase(), g.name).to.equal(g.hex);
  });

  it("fixture parameter names are the parameter table's titles", () => {
    for (const l of lines) {
      for (const p of l.params) {
        expect(paramInfo(Number(p.id))?.title.toLowerCase(), p.id).to.equal(p.name.toLowerCase());
      }
    }
    expect(Object.keys(PARAMETERS).length).to.be.greaterThan(30);
  });

  for (const g of goldens) {
    describe(g.name, () => {
      it('decodes whole to exactly the listed op, pn and params with a valid checksum', () => {
        const results = decodeChunks([g.bytes]);
        expect(results).to.have.length(1);
        expectGolden(results[0], g);
      });

      it('re-encodes to the same bytes', () => {
        const [r] = decodeChunks([g.bytes]);
        if (!r?.ok) return expect.fail('not decoded');
        expect(encodeFrame(r.frame).equals(g.bytes)).to.equal(true);
      });

      it('passes parameter validation', () => {
        const [r] = decodeChunks([g.bytes]);
        if (!r?.ok) return expect.fail('not decoded');
        expect(validateParameters(r.frame)?.message).to.equal(undefined);
      });

      it('yields the same frame split at every byte offset', () => {
        for (const [a, b, at] of allSplits(g.bytes)) {
          const results = decodeChunks([a, b]);
          expect(results, `split at ${at}`).to.have.length(1);
          expectGolden(results[0], g);
        }
      });

      it('yields the same frame fed one byte at a time', () => {
        const results = decodeChunks(bytewise(g.bytes));
        expect(results).to.have.length(1);
        expectGolden(results[0], g);
      });
    });
  }

  it('yields every frame in order from one concatenated stream with garbage between', () => {
    const garbage = [
      Buffer.from('Welcome to SMSC\r\n'),
      Buffer.from([0x03, 0x00, 0xff, 0x09]),
      Buffer.alloc(0),
    ];
    const parts: Buffer[] = [];
    goldens.forEach((g, i) => parts.push(garbage[i % garbage.length]!, g.bytes));
    parts.push(Buffer.from('trailing junk'));
    const stream = Buffer.concat(parts);
    const garbageBytes = stream.length - goldens.reduce((n, g) => n + g.bytes.length, 0);

    for (const chunkSize of [stream.length, 1, 7, 64]) {
      const d = new FrameDecoder();
      const results: DecodeResult[] = [];
      for (let i = 0; i < stream.length; i += chunkSize) {
        results.push(...d.push(stream.subarray(i, i + chunkSize)));
      }
      expect(results, `chunk ${chunkSize}`).to.have.length(goldens.length);
      results.forEach((r, i) => {
        expectGolden(r, goldens[i]!);
      });
      expect(d.discardedBytes).to.equal(garbageBytes);
    }
  });
});
