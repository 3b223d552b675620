/**
 * The live-session fuzzer shared by `hardening-fuzz.test.ts` (bounded, seeded, in `npm test`) and
 * `scripts/fuzz.ts` (`npm run fuzz`, minutes). A case is a byte stream (random bytes, mutated
 * Kannel golden frames, generated frames with any header, parameters and checksum) cut into
 * random chunks and fed to one in-memory session; `runCase` throws on the first broken invariant.
 */
import fc from 'fast-check';
import { byteArb, mutate, mutationArb } from '../../helpers/mutations.js';
import { duplexPair } from 'node:stream';
import { FrameDecoder, type DecodeResult } from '../../../src/protocol/decoder.js';
import { OPERATIONS, operationInfo } from '../../../src/protocol/operations.js';
import { PARAMETERS } from '../../../src/protocol/parameters.js';
import type { CompiledScenario } from '../../../src/scenario/index.js';
import { RuleEngine, loadScenarioFile } from '../../../src/scenario/index.js';
import type { CloseReason } from '../../../src/server/events.js';
import { SmscServer } from '../../../src/server/smsc-server.js';
import { ManualClock } from '../../../src/testing/manual-clock.js';
import { kannelFrameBytes } from '../../fixtures/kannel-frames.js';

/** Scenario files the fuzzer drives sessions with (besides the built-in default responder). */
export const FUZZ_SCENARIOS = [
  'default',
  'checkout-flow',
  'submit-errors',
  'delivery-reports',
  'multipart',
  'stateful-outage',
  'login-failures',
  'throttling',
] as const;

export type FuzzResponder = 'builtin' | (typeof FUZZ_SCENARIOS)[number];

export interface FuzzCase {
  readonly responder: FuzzResponder;
  readonly maxFrameLength: number;
  readonly login: boolean;
  readonly pieces: readonly Buffer[];
  /** Chunk sizes the concatenated bytes are cut into (cycled). */
  readonly cuts: readonly number[];
  /** Clock advance after each chunk (cycled). */
  readonly advanceMs: readonly number[];
  /** Server settings that change timing and concurrency. */
  readonly keepAliveInterval: number;
  readonly throttleRate: number;
  readonly window: number;
  /** Inject an MO (20) after these chunk numbers. */
  readonly deliverAt: readonly number[];
}

/** Loads the shipped scenarios once (the fuzz run compiles each only once). */
export async function loadFuzzScenarios(): Promise<Map<string, CompiledScenario>> {
  const out = new Map<string, CompiledScenario>();
  for (const name of FUZZ_SCENARIOS) {
    out.set(
      name,
      await loadScenarioFile(new URL(`../../../scenarios/${name}.yaml`, import.meta.url).pathname),
    );
  }
  return out;
}

const LOGIN = Buffer.from('\x0201:001\t010:shop\t011:secret\t\x03', 'latin1');
const GOLDEN = kannelFrameBytes();
const OPS = OPERATIONS.map((o) => o.code);
const CODES = Object.keys(PARAMETERS).map(Number);

const randomBytesArb = fc.array(byteArb, { maxLength: 300 }).map((a) => Buffer.from(a));

const goldenArb = fc
  .tuple(fc.nat({ max: GOLDEN.length - 1 }), fc.array(mutationArb, { maxLength: 4 }))
  .map(([i, ms]) => mutate(GOLDEN[i] ?? LOGIN, ms));

const valueArb = fc.oneof(
  fc.stringMatching(/^[0-9]{0,14}$/),
  fc.stringMatching(/^[0-9A-F]{0,24}$/),
  fc.stringMatching(/^[ -~]{0,30}$/),
  fc.array(byteArb, { maxLength: 20 }).map((a) => Buffer.from(a).toString('latin1')),
);

/** A frame with any header, known or unknown parameters and a good, bad or absent checksum. */
const frameArb = fc
  .record({
    op: fc.oneof(fc.constantFrom(...OPS), fc.integer({ min: 0, max: 99 })),
    pn: fc.oneof(
      { weight: 4, arbitrary: fc.integer({ min: 0, max: 255 }) },
      fc.integer({ min: 0, max: 999 }),
    ),
    params: fc.array(
      fc.record({
        code: fc.oneof(
          { weight: 4, arbitrary: fc.constantFrom(...CODES) },
          fc.integer({ min: 0, max: 999 }),
        ),
        value: valueArb,
      }),
      { maxLength: 8 },
    ),
    checksum: fc.constantFrom('good', 'lower', 'bad', 'none'),
  })
  .map(({ op, pn, params, checksum }) => {
    const body = Buffer.from(
      `\x02${String(op).padStart(2, '0')}:${String(pn).padStart(3, '0')}\t` +
        params.map((p) => `${String(p.code).padStart(3, '0')}:${p.value}\t`).join(''),
      'latin1',
    );
    let sum = 0;
    for (const b of body) sum = (sum + b) & 0xff;
    if (checksum === 'bad') sum = (sum + 1) & 0xff;
    const hex = sum.toString(16).padStart(2, '0');
    const trailer = checksum === 'none' ? '' : checksum === 'lower' ? hex : hex.toUpperCase();
    return Buffer.concat([body, Buffer.from(`${trailer}\x03`, 'latin1')]);
  });

const hexArb = (maxBytes: number): fc.Arbitrary<string> =>
  fc.uint8Array({ maxLength: maxBytes }).map((b) => Buffer.from(b).toString('hex').toUpperCase());

/** A well-formed request, mostly submits with plausible values: reaches the deeper layers. */
const requestArb = fc
  .record({
    op: fc.constantFrom(3, 3, 3, 3, 40, 4, 5, 6, 8, 9, 2),
    pn: fc.integer({ min: 0, max: 127 }).map((n) => 2 * n + 1),
    destination: fc.oneof(fc.stringMatching(/^\+?[0-9]{1,15}$/), fc.constant('+358400000000')),
    text: fc.oneof(fc.stringMatching(/^[ -~]{0,170}$/), fc.constant('fail'), fc.constant('')),
    binary: fc.option(hexArb(140)),
    dcs: fc.option(fc.constantFrom(0, 4, 8, 16, 24, 240, 245, 12, 200)),
    udh: fc.option(
      fc.oneof(
        fc
          .tuple(
            fc.integer({ min: 0, max: 255 }),
            fc.integer({ min: 0, max: 4 }),
            fc.integer({ min: 0, max: 4 }),
          )
          .map(([ref, total, seq]) =>
            Buffer.from([5, 0, 3, ref, total, seq]).toString('hex').toUpperCase(),
          ),
        hexArb(12),
      ),
    ),
    srr: fc.option(fc.constantFrom(0, 14, 31, 63)),
    extra: fc.array(fc.tuple(fc.constantFrom(...CODES), valueArb), { maxLength: 2 }),
    checksum: fc.boolean(),
  })
  .map((r) => {
    const params: string[] = [];
    if (r.op === 3 || r.op === 4 || r.op === 6) params.push(`021:${r.destination}`);
    if (r.op === 3) {
      if (r.dcs !== null) params.push(`030:${r.dcs}`);
      if (r.udh !== null) params.push(`032:${r.udh}`);
      params.push(r.binary !== null ? `034:${r.binary}` : `033:${r.text}`);
      if (r.srr !== null) params.push(`056:${r.srr}`);
    }
    if (r.op === 4 || r.op === 6) params.push('060:261125120000');
    if (r.op === 9) params.push('500:501');
    for (const [code, value] of r.extra) params.push(`${String(code).padStart(3, '0')}:${value}`);
    const body = `\x02${String(r.op).padStart(2, '0')}:${String(r.pn).padStart(3, '0')}\t${params.map((p) => `${p}\t`).join('')}`;
    const bytes = Buffer.from(body, 'latin1');
    let sum = 0;
    for (const b of bytes) sum = (sum + b) & 0xff;
    const trailer = r.checksum ? sum.toString(16).padStart(2, '0').toUpperCase() : '';
    return Buffer.concat([bytes, Buffer.from(`${trailer}\x03`, 'latin1')]);
  });

const pieceArb = fc.oneof(
  { weight: 4, arbitrary: requestArb },
  { weight: 3, arbitrary: frameArb },
  { weight: 3, arbitrary: goldenArb },
  { weight: 1, arbitrary: randomBytesArb },
);

/** Arbitrary fuzz cases; `pieces` bounds the number of pieces per case. */
export function fuzzCaseArb(options: { maxPieces?: number } = {}): fc.Arbitrary<FuzzCase> {
  return fc.record({
    responder: fc.constantFrom<FuzzResponder>('builtin', ...FUZZ_SCENARIOS),
    maxFrameLength: fc.constantFrom(4096, 4096, 64, 200),
    login: fc.constantFrom(true, true, true, false),
    pieces: fc.array(pieceArb, { minLength: 1, maxLength: options.maxPieces ?? 12 }),
    cuts: fc.array(fc.integer({ min: 1, max: 80 }), { minLength: 1, maxLength: 6 }),
    advanceMs: fc.array(fc.constantFrom(0, 0, 1, 100, 1000, 15_000), {
      minLength: 1,
      maxLength: 4,
    }),
    keepAliveInterval: fc.constantFrom(0, 0, 5),
    throttleRate: fc.constantFrom(0, 0, 20),
    window: fc.constantFrom(1, 1, 4),
    deliverAt: fc.array(fc.nat({ max: 30 }), { maxLength: 3 }),
  });
}

/** Close reasons a session may end with under fuzzing; anything else is a finding. */
const ALLOWED_CLOSE = [
  /^logout$/,
  /^frame longer than \d+ bytes without ETX$/,
  /^disconnected by the scenario$/,
  /^no answer to alive \(keepalive timeout\)$/,
  /^no successful login within \d+ ms \(loginTimeoutMs\)$/,
];

function fail(message: string): never {
  throw new Error(message);
}

/** Operations the server writes as answers (51–99; it sends no unknown operations). */
const isAnswerOp = (op: number): boolean => op >= 50;

/** Responses, 98 and 99 from the client answer the server's requests: they get no answer. */
const isResponse = (op: number): boolean => operationInfo(op)?.isResponse === true;

/**
 * Runs one case on a fresh server and checks, throwing on the first violation:
 * - no `error` event (an internal failure caught at the session boundary) and no throw;
 * - every frame the server writes decodes with a valid checksum;
 * - memory stays bounded: decoder buffer < maxFrameLength, outstanding ≤ maxOutstanding,
 *   incomplete multipart sets ≤ maxMultipartSets, scheduled items ≤ maxScheduledItems;
 * - with the built-in responder, every inbound request and every malformed frame gets exactly one
 *   answer (op + 50, 98 or 99) carrying its packet number, in order, and nothing stays pending;
 * - afterwards the session either closed for an allowed reason or still answers an alive (90);
 * - a fresh connection then logs in and gets a submit answered.
 */
export async function runCase(
  c: FuzzCase,
  scenarios: ReadonlyMap<string, CompiledScenario>,
): Promise<void> {
  const clock = new ManualClock(Date.UTC(2026, 10, 25, 12, 0, 0));
  const scenario = c.responder === 'builtin' ? undefined : scenarios.get(c.responder);
  const server = new SmscServer({
    clock,
    maxFrameLength: c.maxFrameLength,
    maxOutstanding: 50,
    maxMultipartSets: 20,
    maxScheduledItems: 200,
    keepAliveInterval: c.keepAliveInterval,
    throttleRate: c.throttleRate,
    window: c.window,
    ...(scenario !== undefined ? { responder: new RuleEngine(scenario, { seed: 1 }) } : {}),
  });
  const errors: Error[] = [];
  server.on('error', (e) => errors.push(e));
  const expectedAnswers: number[] = [];
  server.on('frame-in', (_s, r) => {
    if (r.ok ? !isResponse(r.frame.op) : r.error.code !== 'ERR_CIMD_FRAME_TOO_LONG')
      expectedAnswers.push(r.ok ? r.frame.pn : (r.pn ?? 0));
  });
  try {
    const [serverSide, clientSide] = duplexPair();
    const session = server.handle(serverSide, { host: '10.9.9.9', port: 9 });
    const open = (): boolean => session.isOpen;
    const decoder = new FrameDecoder({ maxFrameLength: 1 << 20 });
    const out: DecodeResult[] = [];
    clientSide.on('data', (chunk: Buffer) => out.push(...decoder.push(chunk)));
    const settle = async (): Promise<void> => {
      for (let i = 0; i < 4; i++) await new Promise<void>((r) => setImmediate(r));
    };
    const all = Buffer.concat([...(c.login ? [LOGIN] : []), ...c.pieces]);
    let at = 0;
    let k = 0;
    while (at < all.length && session.isOpen) {
      const size = c.cuts[k % c.cuts.length] ?? 1;
      clientSide.write(all.subarray(at, at + size));
      at += size;
      await settle();
      if (c.deliverAt.includes(k) && open()) {
        server
          .sendDeliverMessage(session.id, { destination: '1', originator: '2', text: `mo ${k}` })
          .catch(() => undefined);
      }
      const ms = c.advanceMs[k % c.advanceMs.length] ?? 0;
      if (ms > 0) await clock.advance(ms);
      k++;
      if (session.bufferedBytes >= c.maxFrameLength)
        fail(`decoder holds ${session.bufferedBytes} bytes`);
      if (session.outstanding > 50) fail(`outstanding ${session.outstanding} > maxOutstanding`);
    }
    await settle();
    // Let throttled and delayed answers go out (a throttle of 20/s drains well within this).
    for (let i = 0; i < 10 && open() && session.pendingAnswers > 0; i++) await clock.advance(1000);
    if (server.reassembler.pendingSets > 20)
      fail(`multipart sets ${server.reassembler.pendingSets}`);
    if (server.pendingItems > 200) fail(`scheduled items ${server.pendingItems}`);
    for (const r of out) {
      if (!r.ok)
        fail(
          `server wrote a malformed frame: ${r.error.message} ${JSON.stringify(r.raw.toString('latin1'))}`,
        );
      if (r.checksum !== 'valid')
        fail(`server frame without checksum: ${JSON.stringify(r.raw.toString('latin1'))}`);
    }
    if (scenario === undefined && session.isOpen) {
      if (session.pendingAnswers !== 0) fail(`${session.pendingAnswers} answers still pending`);
      const answers = out.flatMap((r) => (r.ok && isAnswerOp(r.frame.op) ? [r.frame.pn] : []));
      if (JSON.stringify(answers) !== JSON.stringify(expectedAnswers))
        fail(`answers ${JSON.stringify(answers)} ≠ requests ${JSON.stringify(expectedAnswers)}`);
    }
    if (open()) {
      const before = out.length;
      clientSide.write(Buffer.from('\x0240:123\t\x03', 'latin1'));
      let answered = false;
      for (let i = 0; i < 40 && !answered && open(); i++) {
        await settle();
        answered = out.slice(before).some((r) => r.ok && r.frame.op === 90 && r.frame.pn === 123);
        if (!answered) await clock.advance(250);
      }
      if (!answered && open()) fail('the session no longer answers an alive');
    }
    if (!open()) {
      const reason: CloseReason | undefined = session.reason;
      if (reason === undefined || !ALLOWED_CLOSE.some((re) => re.test(reason.text)))
        fail(`session closed for an unexpected reason: ${JSON.stringify(reason)}`);
    }
    await freshLogin(server, clock);
    if (errors.length > 0)
      fail(`server error event: ${errors.map((e) => e.stack ?? e.message).join('; ')}`);
  } finally {
    await server.close({ graceMs: 0 });
  }
}

async function freshLogin(server: SmscServer, clock: ManualClock): Promise<void> {
  const [serverSide, clientSide] = duplexPair();
  server.handle(serverSide, { host: '10.9.9.8', port: 8 });
  const decoder = new FrameDecoder();
  const ops: number[] = [];
  clientSide.on('data', (chunk: Buffer) => {
    for (const r of decoder.push(chunk)) if (r.ok && r.frame.pn >= 201) ops.push(r.frame.op);
  });
  clientSide.write(
    Buffer.from('\x0201:201\t010:fresh\t011:secret\t\x03\x0240:203\t\x03', 'latin1'),
  );
  for (let i = 0; i < 40 && ops.length < 2; i++) {
    for (let j = 0; j < 4; j++) await new Promise<void>((r) => setImmediate(r));
    if (ops.length < 2) await clock.advance(250);
  }
  if (ops[0] !== 51 || ops[1] !== 90)
    fail(`a fresh connection got ${JSON.stringify(ops)} instead of 51 and 90`);
}
