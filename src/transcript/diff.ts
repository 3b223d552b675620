/**
 * Comparing two transcripts as conversations, ignoring what changes from run to run.
 *
 * Normalisation (both sides, before comparing):
 * - `seq` and `ts` are dropped; `server-start`, `server-stop`, `scenario-loaded` and
 *   `scenario-rejected` records are left out (ports, paths, versions, counts);
 * - session ids become `s1`, `s2` … in order of first appearance, and `session-open.remote`
 *   is dropped;
 * - time values (docs/protocol.md#absolute-times): a 060 handed out by a 53 (or a 20) becomes
 *   `T[s1:003]` (session and packet number of that frame), and the same value for the same
 *   destination (060 and 021 identify a message) anywhere else
 *   (a 23, an enquire, `assembled.timestamps`) becomes that token, so a 23 must still carry its
 *   53's 060; a 060 never handed out becomes `T?`; 063 and 501 values become `<time>`;
 * - server packet numbers (server requests 20/23/40 and the client's answers to them,
 *   docs/protocol.md#packet-numbers) become `P1`, `P2` … per session; so do `ack-timeout` pns and
 *   `fired.packetNumbers`;
 * - `raw` and `checksum` are dropped from frames that carry a normalised value;
 * - `scheduled.at` and `fired.at` (clock times) are dropped.
 * Operations, directions, client packet numbers, texts, error and status codes, rule ids and
 * every other field are compared. Records are compared per session, in order.
 *
 * Over 500 lines on purpose: the normalisation above and the line diff share one walk over both
 * transcripts; splitting them would pass that state between files.
 */
import { isRequestOp } from '../protocol/operations.js';
import type { JsonValue, TranscriptRecord } from './record.js';
import { RECORD_KINDS } from './record.js';
import { describeRecord } from './summary.js';
import type { Transcript } from './query.js';

/** Options of {@link diffTranscripts}. */
export interface DiffOptions {
  /**
   * More to ignore. Each entry is a record kind (`decision`: leave those records out), a
   * parameter (`params.064`: drop that parameter from frames), a dotted member path dropped
   * from every record (`fields.text`, `explanation`), or `kind:path` to drop a path from one
   * kind only (`frame:raw`).
   */
  readonly ignore?: readonly string[];
}

/** A record after normalisation (no seq, no ts). */
export type NormalisedRecord = Readonly<Record<string, JsonValue>>;

/** One member that differs between two records that correspond. */
export interface FieldChange {
  /** Dotted path, e.g. `fields.errorCode`, `params[2]`. */
  readonly path: string;
  /** Undefined when the member is absent on that side. */
  readonly golden: JsonValue | undefined;
  readonly actual: JsonValue | undefined;
}

/** One difference: a record changed, missing from actual, or extra in actual. */
export interface TranscriptDifference {
  readonly type: 'changed' | 'missing' | 'extra';
  /** Normalised session id (`s1`), or null for records without a session. */
  readonly session: string | null;
  /** Position within the session's normalised records (0-based), on each side. */
  readonly goldenIndex?: number;
  readonly actualIndex?: number;
  /** Original `seq` on each side, for finding the line. */
  readonly goldenSeq?: number;
  readonly actualSeq?: number;
  readonly golden?: NormalisedRecord;
  readonly actual?: NormalisedRecord;
  /** For `changed`: the members that differ. */
  readonly changes?: readonly FieldChange[];
}

const LEFT_OUT = new Set(['server-start', 'server-stop', 'scenario-loaded', 'scenario-rejected']);
/** 063 and 501 values carry no identity: any clock time reads the same. */
const CLOCK_PARAMS: Readonly<Record<string, string>> = { '063': '<time>', '501': '<time>' };

/** One normalised record with its original `seq`, normalised session and comparison key. */
export interface NormalisedEntry {
  readonly seq: number;
  readonly session: string | null;
  readonly record: NormalisedRecord;
  readonly key: string;
}

type Mutable = Record<string, JsonValue>;

function token(map: Map<string, string>, prefix: string, value: string): string {
  let t = map.get(value);
  if (t === undefined) {
    t = `${prefix}${map.size + 1}`;
    map.set(value, t);
  }
  return t;
}

function clone(r: TranscriptRecord): Mutable {
  return JSON.parse(JSON.stringify(r)) as Mutable;
}

function deletePath(obj: Mutable, path: readonly string[]): void {
  const [head, ...rest] = path;
  if (head === undefined) return;
  if (rest.length === 0) {
    Reflect.deleteProperty(obj, head);
    return;
  }
  const next = obj[head];
  if (typeof next === 'object' && next !== null && !Array.isArray(next)) {
    deletePath(next as Mutable, rest);
  }
}

/** Canonical JSON (sorted keys) so key order never makes a difference. */
function canonical(v: JsonValue | undefined): string {
  if (v === undefined) return 'undefined';
  if (v === null || typeof v !== 'object') return JSON.stringify(v);
  if (Array.isArray(v)) return `[${(v as JsonValue[]).map(canonical).join(',')}]`;
  const o = v as Readonly<Record<string, JsonValue>>;
  return `{${Object.keys(o)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${canonical(o[k])}`)
    .join(',')}}`;
}

function parseIgnore(ignore: readonly string[]): {
  kinds: Set<string>;
  params: Set<string>;
  paths: { kind: string | undefined; path: string[] }[];
} {
  const kinds = new Set<string>();
  const params = new Set<string>();
  const paths: { kind: string | undefined; path: string[] }[] = [];
  for (const entry of ignore) {
    const p = /^params\.(\d{3})$/.exec(entry);
    if (p?.[1] !== undefined) params.add(p[1]);
    else if (KIND_LIKE.has(entry)) kinds.add(entry);
    else {
      const colon = entry.indexOf(':');
      const kind = colon > 0 ? entry.slice(0, colon) : undefined;
      paths.push({ kind, path: (colon > 0 ? entry.slice(colon + 1) : entry).split('.') });
    }
  }
  return { kinds, params, paths };
}

const KIND_LIKE: ReadonlySet<string> = new Set(RECORD_KINDS);

/** The normalised conversation of a transcript (see the module comment), per record. */
export function normaliseTranscript(t: Transcript, options: DiffOptions = {}): NormalisedEntry[] {
  const ignore = parseIgnore(options.ignore ?? []);
  const sessions = new Map<string, string>();
  // A 060 is introduced by the 53 (or 20) that hands it out and referred to elsewhere.
  const introduced = new Map<string, string>();
  const introductions = new Map<string, number>();
  // A message is identified by 060 together with 021 (docs/protocol.md#absolute-times).
  const timestampToken = (value: string, intro: string | undefined, dest = ''): string => {
    const key = `${value}\u0000${dest}`;
    const known = introduced.get(key);
    if (known !== undefined || intro === undefined) return known ?? 'T?';
    const n = (introductions.get(intro) ?? 0) + 1;
    introductions.set(intro, n);
    const t = n === 1 ? intro : `${intro}#${n}`;
    introduced.set(key, t);
    return t;
  };
  const serverPns = new Map<string, Map<string, string>>();
  const out: NormalisedEntry[] = [];
  // A finding names its frame by seq: compared as the frame's position among the entries.
  const entryOfSeq = new Map<number, number>();
  const pnToken = (session: string, pn: number): string => {
    let m = serverPns.get(session);
    if (m === undefined) {
      m = new Map();
      serverPns.set(session, m);
    }
    return token(m, 'P', String(pn));
  };
  for (const r of t.records) {
    if (LEFT_OUT.has(r.kind) || ignore.kinds.has(r.kind)) continue;
    const rec = clone(r);
    delete rec['seq'];
    delete rec['ts'];
    const original = 'session' in r ? r.session : null;
    const session = original === null ? null : token(sessions, 's', original);
    if (session !== null) rec['session'] = session;
    let touched = false;
    switch (r.kind) {
      case 'session-open':
        delete rec['remote'];
        break;
      case 'fault':
        // The port of a connection an outage turned away changes from run to run.
        delete rec['remote'];
        break;
      case 'frame': {
        const serverSide = r.dir === 'out' ? isRequestOp(r.op) : !isRequestOp(r.op);
        if (serverSide && original !== null) {
          rec['pn'] = pnToken(original, r.pn);
          touched = true;
        }
        const pnLabel = typeof rec['pn'] === 'string' ? rec['pn'] : String(r.pn).padStart(3, '0');
        const intro =
          r.dir === 'out' && (r.op === 53 || r.op === 20) && session !== null
            ? `T[${session}:${pnLabel}]`
            : undefined;
        let ts060: string | undefined;
        const dest = r.fields.destination;
        const params: JsonValue[] = [];
        for (const [code, value] of r.params) {
          if (ignore.params.has(code)) {
            touched = true;
            continue;
          }
          const clockValue = CLOCK_PARAMS[code];
          if (code === '060') {
            ts060 ??= timestampToken(value, intro, dest);
            params.push([
              code,
              value === r.fields.timestamp ? ts060 : timestampToken(value, intro, dest),
            ]);
            touched = true;
          } else if (clockValue !== undefined) {
            params.push([code, clockValue]);
            touched = true;
          } else params.push([code, value]);
        }
        rec['params'] = params;
        const fields = rec['fields'] as Mutable;
        if (typeof fields['timestamp'] === 'string') {
          fields['timestamp'] = ts060 ?? timestampToken(fields['timestamp'], intro, dest);
        }
        if (typeof fields['dischargeTime'] === 'string') fields['dischargeTime'] = '<time>';
        if (touched) {
          delete rec['raw'];
          delete rec['checksum'];
        }
        break;
      }
      case 'ack-timeout':
        if (original !== null) rec['pn'] = pnToken(original, r.pn);
        break;
      case 'unexpected-response':
        if (original !== null && r.pn % 2 === 0) rec['pn'] = pnToken(original, r.pn);
        break;
      case 'finding':
        rec['frameSeq'] = `#${entryOfSeq.get(r.frameSeq) ?? '?'}`;
        break;
      case 'scheduled':
        delete rec['at'];
        break;
      case 'fired':
        delete rec['at'];
        if (r.packetNumbers !== undefined && original !== null) {
          rec['packetNumbers'] = r.packetNumbers.map((pn) => pnToken(original, pn));
        }
        break;
      case 'assembled':
        rec['timestamps'] = r.timestamps.map((ts) =>
          ts === null ? null : timestampToken(ts, undefined, r.destination),
        );
        break;
      case 'session-close':
      case 'frame-error':
      case 'decision':
      case 'unmatched':
      case 'multipart-expired':
      case 'server-start':
      case 'server-stop':
      case 'scenario-loaded':
      case 'scenario-rejected':
      case 'reset':
        break;
    }
    for (const p of ignore.paths)
      if (p.kind === undefined || p.kind === r.kind) deletePath(rec, p.path);
    entryOfSeq.set(r.seq, out.length);
    out.push({ seq: r.seq, session, record: rec, key: canonical(rec) });
  }
  return out;
}

type Op = { t: 'eq'; a: number; b: number } | { t: 'del'; a: number } | { t: 'ins'; b: number };

const DP_LIMIT = 4_000_000;

/** Edit script between two key lists: common prefix/suffix, LCS in the middle when small. */
function editScript(a: readonly string[], b: readonly string[]): Op[] {
  let pre = 0;
  while (pre < a.length && pre < b.length && a[pre] === b[pre]) pre++;
  let suf = 0;
  while (
    suf < a.length - pre &&
    suf < b.length - pre &&
    a[a.length - 1 - suf] === b[b.length - 1 - suf]
  )
    suf++;
  const ops: Op[] = [];
  for (let i = 0; i < pre; i++) ops.push({ t: 'eq', a: i, b: i });
  const n = a.length - pre - suf;
  const m = b.length - pre - suf;
  if (n * m <= DP_LIMIT && n > 0 && m > 0) {
    const w = m + 1;
    const L = new Uint32Array((n + 1) * w);
    for (let i = n - 1; i >= 0; i--)
      for (let j = m - 1; j >= 0; j--)
        L[i * w + j] =
          a[pre + i] === b[pre + j]
            ? (L[(i + 1) * w + j + 1] ?? 0) + 1
            : Math.max(L[(i + 1) * w + j] ?? 0, L[i * w + j + 1] ?? 0);
    let i = 0;
    let j = 0;
    while (i < n && j < m) {
      if (a[pre + i] === b[pre + j]) {
        ops.push({ t: 'eq', a: pre + i, b: pre + j });
        i++;
        j++;
      } else if ((L[(i + 1) * w + j] ?? 0) >= (L[i * w + j + 1] ?? 0))
        ops.push({ t: 'del', a: pre + i++ });
      else ops.push({ t: 'ins', b: pre + j++ });
    }
    while (i < n) ops.push({ t: 'del', a: pre + i++ });
    while (j < m) ops.push({ t: 'ins', b: pre + j++ });
  } else {
    // Too large for a table: compare position by position.
    const k = Math.min(n, m);
    for (let i = 0; i < k; i++) {
      if (a[pre + i] === b[pre + i]) ops.push({ t: 'eq', a: pre + i, b: pre + i });
      else {
        ops.push({ t: 'del', a: pre + i });
        ops.push({ t: 'ins', b: pre + i });
      }
    }
    for (let i = k; i < n; i++) ops.push({ t: 'del', a: pre + i });
    for (let j = k; j < m; j++) ops.push({ t: 'ins', b: pre + j });
  }
  for (let i = 0; i < suf; i++) ops.push({ t: 'eq', a: a.length - suf + i, b: b.length - suf + i });
  return ops;
}

/** Members that differ between two records, as dotted paths. */
export function fieldChanges(
  golden: JsonValue | undefined,
  actual: JsonValue | undefined,
  path = '',
): FieldChange[] {
  if (canonical(golden) === canonical(actual)) return [];
  const isObj = (v: JsonValue | undefined): v is Readonly<Record<string, JsonValue>> =>
    typeof v === 'object' && v !== null && !Array.isArray(v);
  if (isObj(golden) && isObj(actual)) {
    const keys = [...new Set([...Object.keys(golden), ...Object.keys(actual)])];
    return keys.flatMap((k) =>
      fieldChanges(golden[k], actual[k], path === '' ? k : `${path}.${k}`),
    );
  }
  if (Array.isArray(golden) && Array.isArray(actual)) {
    const g = golden as readonly JsonValue[];
    const a = actual as readonly JsonValue[];
    const out: FieldChange[] = [];
    for (let i = 0; i < Math.max(g.length, a.length); i++) {
      const gi = g[i];
      const ai = a[i];
      if (canonical(gi) !== canonical(ai))
        out.push({ path: `${path}[${i}]`, golden: gi, actual: ai });
    }
    return out;
  }
  return [{ path, golden, actual }];
}

/** `raw` and `checksum` follow from the parameters: list them only when nothing else differs. */
function readableChanges(changes: FieldChange[]): FieldChange[] {
  const derived = (c: FieldChange): boolean => c.path === 'raw' || c.path === 'checksum';
  return changes.some((c) => !derived(c)) ? changes.filter((c) => !derived(c)) : changes;
}

function sameShape(a: NormalisedRecord, b: NormalisedRecord): boolean {
  return a['kind'] === b['kind'] && a['dir'] === b['dir'] && a['op'] === b['op'];
}

function group(entries: readonly NormalisedEntry[]): Map<string, NormalisedEntry[]> {
  const m = new Map<string, NormalisedEntry[]>();
  for (const e of entries) {
    const k = e.session ?? '';
    let list = m.get(k);
    if (list === undefined) {
      list = [];
      m.set(k, list);
    }
    list.push(e);
  }
  return m;
}

/**
 * The differences between two transcripts' normalised conversations (see the module
 * comment), per session in order; empty when they are the same conversation. Adjacent
 * missing/extra records of the same kind, direction and operation are reported as one
 * `changed` difference with the members that differ.
 */
export function diffTranscripts(
  golden: Transcript,
  actual: Transcript,
  options: DiffOptions = {},
): TranscriptDifference[] {
  const g = group(normaliseTranscript(golden, options));
  const a = group(normaliseTranscript(actual, options));
  const keys = [...g.keys(), ...[...a.keys()].filter((k) => !g.has(k))];
  const out: TranscriptDifference[] = [];
  for (const k of keys) {
    const ge = g.get(k) ?? [];
    const ae = a.get(k) ?? [];
    const session = k === '' ? null : k;
    const ops = editScript(
      ge.map((e) => e.key),
      ae.map((e) => e.key),
    );
    let i = 0;
    while (i < ops.length) {
      const op = ops[i];
      if (op === undefined || op.t === 'eq') {
        i++;
        continue;
      }
      const dels: number[] = [];
      const ins: number[] = [];
      while (i < ops.length) {
        const o = ops[i];
        if (o === undefined || o.t === 'eq') break;
        if (o.t === 'del') dels.push(o.a);
        else ins.push(o.b);
        i++;
      }
      let j = 0;
      for (const d of dels) {
        const ge_ = ge[d];
        if (ge_ === undefined) continue;
        const match = ins.findIndex((b, idx) => {
          const ae_ = ae[b];
          return idx >= j && ae_ !== undefined && sameShape(ge_.record, ae_.record);
        });
        if (match >= 0) {
          for (; j < match; j++) {
            const b = ins[j];
            const ae_ = b === undefined ? undefined : ae[b];
            if (b !== undefined && ae_ !== undefined)
              out.push({
                type: 'extra',
                session,
                actualIndex: b,
                actualSeq: ae_.seq,
                actual: ae_.record,
              });
          }
          const b = ins[match];
          const ae_ = b === undefined ? undefined : ae[b];
          j = match + 1;
          if (b === undefined || ae_ === undefined) continue;
          out.push({
            type: 'changed',
            session,
            goldenIndex: d,
            actualIndex: b,
            goldenSeq: ge_.seq,
            actualSeq: ae_.seq,
            golden: ge_.record,
            actual: ae_.record,
            changes: readableChanges(fieldChanges(ge_.record, ae_.record)),
          });
        } else {
          out.push({
            type: 'missing',
            session,
            goldenIndex: d,
            goldenSeq: ge_.seq,
            golden: ge_.record,
          });
        }
      }
      for (; j < ins.length; j++) {
        const b = ins[j];
        const ae_ = b === undefined ? undefined : ae[b];
        if (b !== undefined && ae_ !== undefined)
          out.push({
            type: 'extra',
            session,
            actualIndex: b,
            actualSeq: ae_.seq,
            actual: ae_.record,
          });
      }
    }
  }
  return out;
}

/** Options of {@link formatDiff}. */
export interface FormatDiffOptions {
  readonly goldenLabel?: string;
  readonly actualLabel?: string;
  /** ANSI colours (red for golden-only, green for actual-only). */
  readonly color?: boolean;
}

function show(v: JsonValue | undefined): string {
  return v === undefined ? '(absent)' : JSON.stringify(v);
}

function line(r: NormalisedRecord): string {
  try {
    return describeRecord(r as unknown as TranscriptRecord);
  } catch {
    return canonical(r); // a record stripped by `ignore` may lack what the summary reads
  }
}

/**
 * Differences as unified-diff-like text: `---`/`+++` labels, an `@@` header per difference
 * with the session and position, `-` for the golden record, `+` for the actual one, and the
 * changed members indented below. Empty string when there is no difference.
 */
export function formatDiff(
  differences: readonly TranscriptDifference[],
  options: FormatDiffOptions = {},
): string {
  if (differences.length === 0) return '';
  const red = (s: string): string => (options.color === true ? `\x1b[31m${s}\x1b[0m` : s);
  const green = (s: string): string => (options.color === true ? `\x1b[32m${s}\x1b[0m` : s);
  const cyan = (s: string): string => (options.color === true ? `\x1b[36m${s}\x1b[0m` : s);
  const out = [
    red(`--- ${options.goldenLabel ?? 'golden'}`),
    green(`+++ ${options.actualLabel ?? 'actual'}`),
  ];
  for (const d of differences) {
    const where = d.session === null ? 'server' : `session ${d.session}`;
    const pos =
      d.type === 'extra'
        ? `actual #${d.actualSeq ?? '?'}`
        : d.type === 'missing'
          ? `golden #${d.goldenSeq ?? '?'}`
          : `golden #${d.goldenSeq ?? '?'}, actual #${d.actualSeq ?? '?'}`;
    out.push(cyan(`@@ ${where}, ${d.type}: ${pos} @@`));
    if (d.golden !== undefined) out.push(red(`- ${line(d.golden)}`));
    if (d.actual !== undefined) out.push(green(`+ ${line(d.actual)}`));
    for (const c of d.changes ?? []) {
      out.push(`    ${c.path}: ${show(c.golden)} → ${show(c.actual)}`);
    }
  }
  return out.join('\n');
}
