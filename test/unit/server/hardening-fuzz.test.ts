/**
 * Property-based fuzzing of a live in-memory session (seeded and bounded; `npm run fuzz` runs the
 * same property for minutes with fresh seeds). See hardening-fuzz-kit.ts for the invariants.
 */
import fc from 'fast-check';
import type { CompiledScenario } from '../../../src/scenario/index.js';
import { fuzzCaseArb, loadFuzzScenarios, runCase } from './hardening-fuzz-kit.js';

const SEED = 20261125;
const RUNS = 400;

describe('SmscServer under fuzzed input (live session, seeded)', () => {
  let scenarios: Map<string, CompiledScenario>;

  before(async () => {
    scenarios = await loadFuzzScenarios();
  });

  it(`keeps every invariant for ${RUNS} random and mutated streams (seed ${SEED})`, async function () {
    // 400 live sessions take ~5 s on a quiet machine and over 10 s on a loaded one: a runner
    // limit, not a speed assertion.
    this.timeout(60_000);
    await fc.assert(
      fc.asyncProperty(fuzzCaseArb(), async (c) => {
        await runCase(c, scenarios);
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });
});
