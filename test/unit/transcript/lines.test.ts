/**
 * The per-kind JSONL writers write exactly `JSON.stringify` of the record they stand for: the
 * byte writer against `JSON.stringify` for every string, byte and number, each record writer
 * against its record builder over generated inputs, and every line of a real recorded
 * conversation (all kinds the server produces) against its canonical form.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import fc from 'fast-check';
import { createMockSmsc } from '../../../src/mock-smsc.js';
import { FrameDecode } from '../../../src/protocol/fields.js';
import type { Frame } from '../../../src/protocol/frame.js';
import type { SubmitCompletedEvent } from '../../../src/server/events.js';
import type { Afterward, Decision, Step } from '../../../src/server/ports.js';
import { CimdClient } from '../../../src/testing/cimd-client.js';
import { redactRaw } from '../../../src/transcript/frame-fields.js';
import { JsonBytes, literal } from '../../../src/transcript/json-bytes.js';
import {
  assembledRecord,
  decisionRecord,
  frameRecord,
  writeAssembled,
  writeDecision,
  writeFrame,
  type LineHead,
} from '../../../src/transcript/lines.js';
import { RECORD_KINDS } from '../../../src/transcript/record.js';
import type { ChecksumState } from '../../../src/transcript/record.js';

const SEED = 41;

/** Any UTF-16 string: lone surrogates, pairs, control characters, quotes, backslashes. */
const utf16 = fc
  .array(
    fc.oneof(
      fc.integer({ min: 0, max: 0x7f }),
      fc.integer({ min: 0, max: 0xffff }),
      fc.integer({ min: 0xd800, max: 0xdfff }),
    ),
    { maxLength: 24 },
  )
  .map((codes) => String.fromCharCode(...codes));

function written(fn: (w: JsonBytes) => void): string {
  const w = new JsonBytes(8);
  w.begin();
  fn(w);
  return w.text();
}

// Times of any year ISO can write (±271821), and session ids long enough (up to 6 bytes per
// unit escaped) to outgrow the head's reused buffers.
const headArb: fc.Arbitrary<LineHead> = fc.record({
  seq: fc.nat(),
  ts: fc.oneof(
    fc.constant('2026-01-01T12:00:00.000Z'),
    fc.integer({ min: -8.64e15, max: 8.64e15 }).map((ms) => new Date(ms).toISOString()),
  ),
  session: fc.oneof(
    utf16,
    fc.string({ minLength: 100, maxLength: 300 }),
    utf16.map((s) => s.repeat(8)),
  ),
});
const paramArb = fc.record({
  code: fc.constantFrom(10, 11, 21, 23, 30, 33, 34, 60, 61, 900, 901, 5, 1234),
  value: utf16,
});
const frameArb: fc.Arbitrary<Frame> = fc.record({
  op: fc.constantFrom(1, 3, 20, 23, 51, 53, 98, 99, 77),
  pn: fc.integer({ min: 0, max: 255 }),
  params: fc.array(paramArb, { maxLength: 6 }),
});
const checksumArb: fc.Arbitrary<ChecksumState> = fc.constantFrom('valid', 'absent', 'invalid');

const stepArb: fc.Arbitrary<Step> = fc.oneof(
  fc.record({ kind: fc.constant('delay' as const), ms: fc.nat() }),
  fc.record(
    {
      kind: fc.constant('respond' as const),
      params: fc.array(paramArb, { maxLength: 3 }),
      timestamp: utf16,
    },
    { requiredKeys: ['kind'] },
  ),
  fc.record(
    { kind: fc.constant('error' as const), code: fc.nat(999), text: utf16 },
    { requiredKeys: ['kind', 'code'] },
  ),
  fc.record({ kind: fc.constantFrom('nack' as const, 'drop' as const, 'disconnect' as const) }),
  fc.record(
    { kind: fc.constant('generalError' as const), code: fc.nat(999), text: utf16 },
    { requiredKeys: ['kind', 'code'] },
  ),
);
const afterwardArb: fc.Arbitrary<Afterward> = fc.record(
  {
    kind: fc.constant('statusReport' as const),
    afterMs: fc.nat(),
    status: fc.nat(9),
    errorCode: fc.nat(999),
    dischargeTime: utf16,
    target: fc.constantFrom('session' as const, 'user' as const),
  },
  { requiredKeys: ['kind', 'afterMs', 'status'] },
);
const decisionArb: fc.Arbitrary<Decision> = fc.record({
  ruleId: fc.option(utf16, { nil: null }),
  explanation: utf16,
  steps: fc.array(stepArb, { maxLength: 3 }),
  afterwards: fc.array(afterwardArb, { maxLength: 2 }),
});
const assembledArb: fc.Arbitrary<SubmitCompletedEvent> = fc.record(
  {
    clientId: utf16,
    user: utf16,
    destination: utf16,
    originator: utf16,
    text: utf16,
    bytes: fc.uint8Array({ maxLength: 8 }).map((b) => Buffer.from(b)),
    encoding: fc.constantFrom('gsm7' as const, 'ucs2' as const, 'binary' as const),
    parts: fc.nat(9),
    reference: fc.nat(65535),
    packetNumbers: fc.array(fc.nat(255), { maxLength: 4 }),
    timestamps: fc.array(fc.option(utf16, { nil: undefined }), { maxLength: 4 }),
  },
  {
    requiredKeys: [
      'clientId',
      'user',
      'destination',
      'originator',
      'encoding',
      'parts',
      'packetNumbers',
      'timestamps',
    ],
  },
);

describe('JSONL writers', () => {
  describe('JsonBytes', () => {
    it('writes every UTF-16 string as JSON.stringify does (lone surrogates included)', () => {
      fc.assert(
        fc.property(utf16, fc.string({ unit: 'binary' }), (a, b) => {
          expect(
            written((w) => {
              w.str(a);
            }),
          ).to.equal(JSON.stringify(a));
          expect(
            written((w) => {
              w.str(b);
            }),
          ).to.equal(JSON.stringify(b));
        }),
        { seed: SEED, numRuns: 1500 },
      );
    });

    it('writes bytes read as latin1 as JSON.stringify of their latin1 string', () => {
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
          expect(
            written((w) => {
              w.latin1(bytes);
            }),
          ).to.equal(JSON.stringify(Buffer.from(bytes).toString('latin1')));
        }),
        { seed: SEED, numRuns: 2000 },
      );
    });

    it('writes numbers as JSON.stringify does', () => {
      fc.assert(
        fc.property(fc.oneof(fc.integer(), fc.double()), (n) => {
          expect(
            written((w) => {
              w.num(n);
            }),
          ).to.equal(JSON.stringify(n));
        }),
        { seed: SEED, numRuns: 2000 },
      );
    });

    it('writes long strings (one regex check, one native copy when nothing needs escaping) as JSON.stringify does', () => {
      const printable = fc.string({ minLength: 40, maxLength: 300 });
      fc.assert(
        fc.property(printable, utf16, fc.nat(400), (long, odd, at) => {
          const mixed = long.slice(0, at) + odd + long.slice(at);
          for (const s of [long, mixed, `${long}"`, `\\${long}`, `${long}\u007f`, `${long}é`]) {
            expect(
              written((w) => {
                w.str(s);
              }),
            ).to.equal(JSON.stringify(s));
          }
        }),
        { seed: SEED, numRuns: 500 },
      );
    });

    it('copies literals of any length (byte loop and native copy) as they are', () => {
      for (const n of [0, 1, 24, 25, 200]) {
        const text = `"${'k'.repeat(n)}":`;
        expect(
          written((w) => {
            w.lit(literal(text));
            w.latin1(Buffer.from(`xx${text}yy`, 'latin1'), 2, 2 + text.length);
          }),
        ).to.equal(text + JSON.stringify(text));
      }
    });

    it('grows its buffer for a line longer than it', () => {
      const long = 'é'.repeat(10_000);
      expect(
        written((w) => {
          w.str(long);
        }),
      ).to.equal(JSON.stringify(long));
    });
  });

  it('frame: the line is JSON.stringify of the frame record, with and without redaction', () => {
    fc.assert(
      fc.property(
        headArb,
        fc.constantFrom('in' as const, 'out' as const),
        frameArb,
        checksumArb,
        fc.uint8Array({ maxLength: 48 }),
        fc.boolean(),
        (h, dir, frame, checksum, rawBytes, redact) => {
          const fields = new FrameDecode(frame).fields;
          const raw = Buffer.from(rawBytes);
          const text = raw.toString('latin1');
          const rawText = redact ? redactRaw(text) : text;
          const line = written((w) => {
            if (redact) writeFrame(w, h, dir, frame, fields, checksum, raw, rawText);
            else writeFrame(w, h, dir, frame, fields, checksum, raw);
          });
          expect(line).to.equal(
            JSON.stringify(frameRecord(h, dir, frame, fields, checksum, rawText, redact)),
          );
        },
      ),
      { seed: SEED, numRuns: 1500 },
    );
  });

  it('decision: the line is JSON.stringify of the decision record', () => {
    fc.assert(
      fc.property(headArb, frameArb, decisionArb, (h, frame, decision) => {
        expect(
          written((w) => {
            writeDecision(w, h, frame, decision);
          }),
        ).to.equal(JSON.stringify(decisionRecord(h, frame, decision)));
      }),
      { seed: SEED, numRuns: 1500 },
    );
  });

  it('decision: a repeated explanation (reused bytes) and a changed one give the canonical line', () => {
    fc.assert(
      fc.property(
        headArb,
        frameArb,
        fc.array(decisionArb, { minLength: 1, maxLength: 4 }),
        fc.array(fc.nat(3), { minLength: 2, maxLength: 12 }),
        (h, frame, decisions, order) => {
          // Consecutive writes of the same and of different decisions, in any order.
          for (const i of order) {
            const decision = decisions[i % decisions.length] ?? decisions[0];
            if (decision === undefined) continue;
            expect(
              written((w) => {
                writeDecision(w, h, frame, decision);
              }),
            ).to.equal(JSON.stringify(decisionRecord(h, frame, decision)));
          }
        },
      ),
      { seed: SEED, numRuns: 300 },
    );
  });

  it('decision: reused bytes never outlive a change of op, rule or explanation (same steps array)', () => {
    fc.assert(
      fc.property(
        headArb,
        fc.array(frameArb, { minLength: 2, maxLength: 3 }),
        decisionArb,
        fc.array(fc.string(), { minLength: 1, maxLength: 3 }),
        fc.array(fc.nat(17), { minLength: 2, maxLength: 12 }),
        (h, frames, base, explanations, order) => {
          // Decisions sharing one steps array (a rule's own) but not its other members.
          const variants = [
            base,
            { ...base, ruleId: base.ruleId === null ? 'r' : null },
            ...explanations.map((explanation) => ({ ...base, explanation })),
          ];
          for (const i of order) {
            const decision = variants[i % variants.length] ?? base;
            const frame = frames[i % frames.length] ?? frames[0];
            if (frame === undefined) continue;
            expect(
              written((w) => {
                writeDecision(w, h, frame, decision);
              }),
            ).to.equal(JSON.stringify(decisionRecord(h, frame, decision)));
          }
        },
      ),
      { seed: SEED, numRuns: 300 },
    );
  });

  it('assembled: the line is JSON.stringify of the assembled record', () => {
    fc.assert(
      fc.property(fc.nat(), assembledArb, (seq, e) => {
        const ts = '2026-01-01T12:00:00.000Z';
        expect(
          written((w) => {
            writeAssembled(w, seq, ts, e);
          }),
        ).to.equal(JSON.stringify(assembledRecord(seq, ts, e)));
      }),
      { seed: SEED, numRuns: 1500 },
    );
  });

  it('a recorded conversation: every line (file and memory) is the canonical JSON of its record', async function () {
    this.timeout(20_000);
    const dir = mkdtempSync(join(os.tmpdir(), 'cimd2-lines-'));
    const file = join(dir, 't.jsonl');
    const mock = await createMockSmsc({ port: 0, transcript: file, redactPasswords: true });
    try {
      const client = await CimdClient.connect({ port: mock.port });
      await client.login('shop', 's3cr"et\\');
      await client.submit({ destination: '+358401234567', text: 'Hello "world" \\ tab\there' });
      await client.submit({
        destination: '+358401234568',
        text: 'Ünïcødé – 😀 €',
        encoding: 'ucs2',
      });
      await client.submit({ destination: '+358401234569', text: 'x'.repeat(200) });
      await client.submit({ destination: '+358401234570', bytes: new Uint8Array([0, 1, 0xff]) });
      // A frame with a bad checksum (a frame-error record) and its answer, before the alive's.
      const seen = mock.lastSeq;
      client.sendBytes(Buffer.from('\x0203:099\t021:123\t033:x\tZZ\x03', 'latin1'));
      await mock.waitFor({ kind: 'frame-error' }, { since: seen });
      await client.alive();
      await client.logout();
      await client.close();
      await mock.stop();
      const lines = readFileSync(file, 'utf8').trimEnd().split('\n');
      const kinds = new Set<string>();
      for (const line of lines) {
        const record = JSON.parse(line) as { kind: string };
        kinds.add(record.kind);
        expect(JSON.stringify(record)).to.equal(line);
        expect(RECORD_KINDS).to.include(record.kind);
      }
      for (const kind of ['frame', 'decision', 'assembled', 'frame-error', 'session-open'])
        expect(kinds, kind).to.include(kind);
      expect(lines.join('\n')).to.not.include('s3cr');
      const memory = mock.transcriptAll.records.map((r) => JSON.stringify(r));
      expect(memory).to.deep.equal(lines.slice(0, memory.length));
    } finally {
      await mock.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
