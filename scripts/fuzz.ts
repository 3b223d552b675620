/**
 * `npm run fuzz`: the live-session fuzzer of test/unit/server/hardening-fuzz-kit.ts for minutes
 * instead of seconds, with fresh seeds, plus the frame decoder on its own.
 *
 *   npm run fuzz                       # 3 minutes, a random seed per batch
 *   npm run fuzz -- --minutes 10
 *   npm run fuzz -- --seed 12345       # replay one batch
 *
 * Prints every batch's seed and any counterexample (fast-check shrinks it); exits 1 on a finding.
 */
import fc from 'fast-check';
import { parseArgs } from 'node:util';
import { FrameDecoder } from '../src/protocol/decoder.js';
import { fuzzCaseArb, loadFuzzScenarios, runCase } from '../test/unit/server/hardening-fuzz-kit.js';

const { values } = parseArgs({
  options: {
    minutes: { type: 'string', default: process.env['FUZZ_MINUTES'] ?? '3' },
    seed: { type: 'string' },
    runs: { type: 'string', default: '2000' },
  },
});
const minutes = Number(values.minutes);
const runsPerBatch = Number(values.runs);
const fixedSeed = values.seed === undefined ? undefined : Number(values.seed);

// Longer arrays than the test's defaults: more pieces, more chunks, more bytes per case.
fc.configureGlobal({ baseSize: 'large' });
const scenarios = await loadFuzzScenarios();
const deadline = Date.now() + minutes * 60_000;
let batches = 0;
let cases = 0;
let findings = 0;
const started = Date.now();

function randomSeed(): number {
  return Math.floor(Math.random() * 0x7fffffff);
}

/** The decoder alone: any bytes in any chunks never throw and never buffer past the limit. */
const decoderProperty = fc.property(
  fc.array(fc.uint8Array({ maxLength: 200 }), { maxLength: 30 }),
  fc.constantFrom(9, 24, 64, 4096),
  (chunks, max) => {
    const d = new FrameDecoder({ maxFrameLength: max });
    for (const c of chunks) {
      d.push(c);
      if (d.bufferedBytes >= max) throw new Error(`decoder buffered ${d.bufferedBytes} ≥ ${max}`);
    }
  },
);

while (Date.now() < deadline) {
  const seed = fixedSeed ?? randomSeed();
  batches++;
  const t0 = Date.now();
  const session = await fc.check(
    fc.asyncProperty(fuzzCaseArb({ maxPieces: 40 }), async (c) => {
      cases++;
      await runCase(c, scenarios);
    }),
    { seed, numRuns: runsPerBatch, interruptAfterTimeLimit: Math.max(1000, deadline - Date.now()) },
  );
  const decoder = fc.check(decoderProperty, { seed, numRuns: runsPerBatch * 5 });
  const line = `batch ${batches} seed ${seed}: ${session.numRuns} session cases, ${decoder.numRuns} decoder cases, ${Date.now() - t0} ms`;
  const reports = [
    session.failed ? fc.defaultReportMessage(session) : undefined,
    decoder.failed ? fc.defaultReportMessage(decoder) : undefined,
  ];
  for (const report of reports) {
    if (report === undefined) continue;
    findings++;
    console.log(`${line}: FINDING`);
    console.log(report);
  }
  if (!session.failed && !decoder.failed) console.log(`${line}: ok`);
  if (fixedSeed !== undefined) break;
}

const secs = ((Date.now() - started) / 1000).toFixed(0);
console.log(
  `fuzz: ${batches} batches, ${cases} live-session cases in ${secs} s, ${findings} finding(s)`,
);
process.exit(findings > 0 ? 1 : 0);
