/**
 * The inbox behind `GET /messages` and `GET /mo`: submitted messages and MO messages, one entry
 * per logical message, derived from the transcript kept in memory.
 *
 * Nothing happens while nobody asks: the index is built on the first query, from the raw JSONL
 * lines of the in-memory ring (a {@link PagedTranscriptReader}: a page at a time, yielding to the
 * event loop once a turn's time budget is spent), and each later query only reads the records
 * added since.
 * It never subscribes to records, so the mock pays nothing per frame for it; and a catch-up never
 * holds the event loop much longer than its budget (a console polling the inbox under load must
 * not show up in the answer latency of the sessions).
 *
 * Correlation, record by record (the transcript is in seq order):
 * - a submit frame (in, op 3) opens a part; parts with a concatenation header join the open
 *   message of the same session, originator, destination, reference and part count;
 * - its `decision` gives the rule; the answer frame (out 53 / 98 / 99, same session and pn) the
 *   answer; a decision that drops or disconnects means no answer will come;
 * - `scheduled` status reports that follow an answer belong to its message (timeline step
 *   `scheduled`); `fired` with `cancelled` is step `cancelled`;
 * - an op 23 frame belongs to the message whose answer carried its 060 and destination (step
 *   `sent`); the client's 73 with the same pn is step `acknowledged`; `ack-timeout` is step
 *   `unacknowledged`;
 * - `assembled` gives the whole text of a multipart message, `multipart-expired` marks it expired;
 * - an op 20 frame (out) is an MO part, its 70 (or a 99) the answer; a deliver sent by a rule's
 *   `afterwards` carries that rule.
 *
 * Bounds: at most `maxMessages` entries of each kind and about `maxBytes` of them (the oldest
 * leave first), so a long run never grows it without limit; entries outlive the records they came
 * from (the detail view then says `framesTruncated`).
 *
 * Over 500 lines on purpose: the correlation of records into messages (parts, answers, status report timelines,
 * MOs) is one pass over the transcript whose cases depend on each other; the routes are in
 * inbox-routes.ts.
 */
import { paramInfo } from '../protocol/parameters.js';
import { statusName } from '../protocol/status-codes.js';
import type { MockSmsc } from '../mock-smsc.js';
import { PagedTranscriptReader } from './paged-transcript-reader.js';
import type { TranscriptRecord, FrameRecord } from '../transcript/index.js';
import type {
  Message,
  MessageAnswer,
  MessagePart,
  MessageStatus,
  MoAnswer,
  MoMessage,
  MoPart,
  MoStatus,
  NamedParam,
  StatusReportStep,
} from './inbox-types.js';

/** Default bounds of the index. */
export const INBOX_MAX_MESSAGES = 100_000;
export const INBOX_MAX_BYTES = 32 * 1024 * 1024;
/** Bytes of JSONL read per page while catching up (~100 records of ~10 µs each). */
export const INDEX_PAGE_BYTES = 32 * 1024;
/** Open multipart sets and scheduled items remembered at most (each map). */
const MAX_OPEN = 10_000;

/** Parameters shown as dedicated fields, left out of `options`. */
const FIELD_PARAMS = new Set(['021', '023', '027', '030', '032', '033', '034', '044']);

/** What the index needs of the mock (MockSmsc has it; tests may give less). */
export type IndexSource = Pick<
  MockSmsc,
  'transcriptBytes' | 'truncatedSince' | 'lastSeq' | 'epoch'
>;

/** Options of {@link MessageIndex}. */
export interface MessageIndexOptions {
  readonly maxMessages?: number;
  readonly maxBytes?: number;
  /**
   * Time a catch-up spends before it lets the event loop run again (default 1 ms; it stops after
   * the page that crossed it, so a turn lasts about one page more).
   */
  readonly turnBudgetMs?: number;
  /** Milliseconds of a monotonic clock, for the budget (default `performance.now`). */
  readonly now?: () => number;
}

interface PartState {
  readonly part: number;
  readonly seq: number;
  readonly ts: string;
  readonly pn: number;
  rule?: string | null;
  answer: MessageAnswer;
  readonly udh?: string;
  /** Text / hex of the part while the message is not assembled. */
  text?: string | null;
  hex?: string | null;
}

interface MoPartState {
  readonly part: number;
  readonly seq: number;
  readonly ts: string;
  readonly pn: number;
  answer: MoAnswer;
  readonly udh?: string;
  readonly text: string | null;
  readonly hex: string | null;
}

interface Entry {
  readonly seq: number;
  readonly ts: string;
  readonly session: string;
  user: string | null;
  readonly from: string | null;
  readonly to: string;
  readonly encoding: string;
  readonly dcs: number | null;
  readonly udh: string | null;
  readonly options: readonly NamedParam[];
  readonly partsExpected: number;
  readonly reference: number | undefined;
  /** Seqs of every frame of the conversation (detail view). */
  readonly frames: number[];
  /** Estimated bytes held. */
  bytes: number;
  /** Key of the open multipart set, while open. */
  openKey: string | undefined;
}

interface MtEntry extends Entry {
  readonly kind: 'mt';
  readonly parts: PartState[];
  readonly reports: StatusReportStep[];
  /** Seqs of the decisions of its parts. */
  readonly decisions: number[];
  text: string | null;
  hex: string | null;
  assembled: boolean;
  expired: boolean;
  readonly timestampKeys: string[];
}

interface MoEntry extends Entry {
  readonly kind: 'mo';
  readonly parts: MoPartState[];
  readonly timestamp: string | null;
  readonly rule: string | null;
}

interface SessionState {
  user: string | null;
  loginUser: string | undefined;
  readonly since: string;
  framesIn: number;
  framesOut: number;
  readonly submits: Map<number, { entry: MtEntry; part: PartState }>;
  /** The last answer sent and its message; cleared by the next inbound frame. */
  lastAnswer: { entry: MtEntry | undefined; rule: string | null } | undefined;
  /** Rule of the decision of each request not answered yet. */
  readonly rules: Map<number, string | null>;
  readonly reports: Map<
    number,
    { entry: MtEntry; timestamp: string | null; status: string | null; statusCode: number | null }
  >;
  readonly mos: Map<number, { entry: MoEntry; part: MoPartState }>;
  /** Rule of a deliver that just fired (the next op 20 frame is its). */
  moRule: string | null | undefined;
}

/** Per-session counters kept from the transcript (the console's session list). */
export interface SessionCounters {
  readonly since: string;
  readonly framesIn: number;
  readonly framesOut: number;
}

/** One kind of entries in seq order, oldest first, with a moving head. */
class EntryList<E extends Entry> {
  private items: E[] = [];
  private head = 0;
  readonly byId = new Map<number, E>();
  bytes = 0;

  get size(): number {
    return this.items.length - this.head;
  }

  push(e: E): void {
    this.items.push(e);
    this.byId.set(e.seq, e);
    this.bytes += e.bytes;
  }

  /** Drops the oldest entry. */
  shift(): E | undefined {
    const e = this.items[this.head];
    if (e === undefined) return undefined;
    this.items[this.head] = undefined as unknown as E;
    this.head++;
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    this.byId.delete(e.seq);
    this.bytes -= e.bytes;
    return e;
  }

  /** Newest first. */
  *newestFirst(): Generator<E> {
    for (let i = this.items.length - 1; i >= this.head; i--) {
      const e = this.items[i];
      if (e !== undefined) yield e;
    }
  }
}

const BASE_BYTES = 600;

function estimate(...strings: (string | null | undefined)[]): number {
  let n = BASE_BYTES;
  for (const s of strings) n += s === null || s === undefined ? 0 : s.length * 2;
  return n;
}

/** Parameters as named pairs (unknown codes as `param<code>`). */
export function namedParams(params: readonly (readonly [string, string])[]): NamedParam[] {
  return params.map(([code, value]) => {
    const info = paramInfo(Number(code));
    return {
      code,
      name: info?.name ?? `param${code}`,
      title: info?.title ?? '',
      value,
    };
  });
}

function paramValue(r: FrameRecord, code: string): string | undefined {
  for (const [c, v] of r.params) if (c === code) return v;
  return undefined;
}

/** The submitted messages and MO messages of a mock, indexed on demand. */
export class MessageIndex {
  private readonly source: IndexSource;
  private readonly maxMessages: number;
  private readonly maxBytes: number;
  private readonly mt = new EntryList<MtEntry>();
  private readonly mo = new EntryList<MoEntry>();
  private readonly sessions = new Map<string, SessionState>();
  private readonly open = new Map<string, MtEntry | MoEntry>();
  private readonly byTimestamp = new Map<string, MtEntry>();
  private readonly scheduled = new Map<
    number,
    { entry: MtEntry | undefined; rule: string | null; kind: string }
  >();
  /** Seq and epoch of each reset seen, in order. */
  private readonly resets: { seq: number; epoch: number }[] = [];
  private readonly reader: PagedTranscriptReader;
  private lostRecords = false;

  constructor(source: IndexSource, options: MessageIndexOptions = {}) {
    this.source = source;
    this.maxMessages = options.maxMessages ?? INBOX_MAX_MESSAGES;
    this.maxBytes = options.maxBytes ?? INBOX_MAX_BYTES;
    this.reader = new PagedTranscriptReader(
      source,
      (line) => {
        this.add(JSON.parse(line) as TranscriptRecord);
      },
      {
        pageBytes: INDEX_PAGE_BYTES,
        turnBudgetMs: options.turnBudgetMs,
        now: options.now,
        onTruncated: () => {
          this.lostRecords = true;
        },
      },
    );
  }

  /** Seq of the last record indexed. */
  get lastSeq(): number {
    return this.reader.cursor;
  }

  /** True when records left memory before they were indexed (older messages may be missing). */
  get truncated(): boolean {
    return this.lostRecords;
  }

  /** Seq of the last reset seen (0: none): the current epoch holds what follows. */
  get epochStartSeq(): number {
    return this.resets.at(-1)?.seq ?? 0;
  }

  /**
   * Reads the records added since the last call (all kept records the first time), a page at a
   * time, letting the event loop run whenever a turn spent its budget. Concurrent callers share
   * one pass.
   */
  catchUp(): Promise<void> {
    return this.reader.catchUp();
  }

  /** Indexes what is already there without yielding (tests, small transcripts). */
  catchUpSync(): void {
    this.reader.catchUpSync();
  }

  /** Indexes one record (records must come in seq order). */
  add(r: TranscriptRecord): void {
    if (r.seq <= this.reader.cursor && this.reader.cursor !== 0) return;
    this.reader.cursor = r.seq;
    switch (r.kind) {
      case 'session-open':
        this.sessions.set(r.session, {
          user: null,
          loginUser: undefined,
          since: r.ts,
          framesIn: 0,
          framesOut: 0,
          submits: new Map(),
          lastAnswer: undefined,
          rules: new Map(),
          reports: new Map(),
          mos: new Map(),
          moRule: undefined,
        });
        return;
      case 'session-close':
        this.closeSession(r.session);
        return;
      case 'frame':
        this.frame(r);
        return;
      case 'decision':
        this.decision(r);
        return;
      case 'scheduled':
        this.scheduledItem(r.session, r.id, r.action, r.seq, r.ts, r.at);
        return;
      case 'fired':
        this.fired(r.session, r.id, r.seq, r.ts, r.cancelled);
        return;
      case 'assembled': {
        if (r.parts <= 1) return;
        const key = openKey(
          'mt',
          r.session,
          r.originator ?? null,
          r.destination,
          r.reference,
          r.parts,
        );
        const e = this.open.get(key);
        if (e?.kind !== 'mt') return;
        e.text = r.text ?? null;
        e.hex = r.binary ?? null;
        e.assembled = true;
        e.user ??= r.user ?? null;
        for (const p of e.parts) {
          delete p.text;
          delete p.hex;
        }
        this.closeOpen(e);
        return;
      }
      case 'multipart-expired': {
        const key = openKey(
          'mt',
          r.session,
          r.originator ?? null,
          r.destination,
          r.reference,
          r.total,
        );
        const e = this.open.get(key);
        if (e?.kind !== 'mt') return;
        e.expired = true;
        this.closeOpen(e);
        return;
      }
      case 'ack-timeout': {
        const s = this.sessions.get(r.session);
        if (s === undefined) return;
        if (r.op === 23) {
          const rep = s.reports.get(r.pn);
          if (rep === undefined) return;
          s.reports.delete(r.pn);
          rep.entry.reports.push({
            step: 'unacknowledged',
            seq: r.seq,
            ts: r.ts,
            status: rep.status,
            statusCode: rep.statusCode,
            timestamp: rep.timestamp,
            pn: r.pn,
          });
        } else if (r.op === 20) {
          const mo = s.mos.get(r.pn);
          if (mo === undefined) return;
          s.mos.delete(r.pn);
          mo.part.answer = { kind: 'timeout', seq: r.seq, ts: r.ts };
        }
        return;
      }
      case 'reset':
        this.resets.push({ seq: r.seq, epoch: r.epoch });
        if (this.resets.length > 1000) this.resets.splice(0, this.resets.length - 1000);
        return;
      case 'server-start':
      case 'server-stop':
      case 'frame-error':
      case 'unmatched':
      case 'unexpected-response':
      case 'scenario-loaded':
      case 'scenario-rejected':
      case 'fault':
      case 'finding':
        return;
    }
  }

  private session(id: string): SessionState | undefined {
    return this.sessions.get(id);
  }

  private closeSession(id: string): void {
    const s = this.sessions.get(id);
    if (s === undefined) return;
    for (const { part } of s.submits.values()) {
      if (part.answer.kind === 'pending') part.answer = { kind: 'none' };
    }
    this.sessions.delete(id);
  }

  private frame(r: FrameRecord): void {
    const s = this.session(r.session);
    if (s !== undefined) {
      if (r.dir === 'in') s.framesIn++;
      else s.framesOut++;
    }
    if (r.dir === 'in') {
      if (s !== undefined) s.lastAnswer = undefined;
      switch (r.op) {
        case 1:
          if (s !== undefined) s.loginUser = r.fields.user;
          return;
        case 3:
          this.submit(r, s);
          return;
        case 70:
          this.moAnswer(r, s);
          return;
        case 73:
          this.reportAnswer(r, s);
          return;
        case 99:
          // A NACK from the client answers an MO (a status report is resent as is).
          this.moAnswer(r, s);
          return;
        default:
          return;
      }
    }
    switch (r.op) {
      case 51:
        if (s !== undefined && r.fields.errorCode === undefined && s.loginUser !== undefined) {
          s.user = s.loginUser;
        }
        this.answered(r, s);
        return;
      case 53:
      case 98:
      case 99:
        this.answered(r, s);
        return;
      case 20:
        this.deliver(r, s);
        return;
      case 23:
        this.report(r, s);
        return;
      default:
        if (r.op > 50 && s !== undefined) {
          s.lastAnswer = { entry: undefined, rule: s.rules.get(r.pn) ?? null };
          s.rules.delete(r.pn);
        }
        return;
    }
  }

  private submit(r: FrameRecord, s: SessionState | undefined): void {
    const f = r.fields;
    const partsExpected = f.parts ?? 1;
    const partNo = f.part ?? 1;
    const from = f.originator ?? null;
    const to = f.destination ?? paramValue(r, '021') ?? '';
    const part: PartState = {
      part: partNo,
      seq: r.seq,
      ts: r.ts,
      pn: r.pn,
      answer: { kind: 'pending' },
      ...(f.udh !== undefined ? { udh: f.udh } : {}),
    };
    let entry: MtEntry | undefined;
    let key: string | undefined;
    if (partsExpected > 1) {
      key = openKey('mt', r.session, from, to, f.reference, partsExpected);
      const found = this.open.get(key);
      if (found?.kind === 'mt' && !found.parts.some((p) => p.part === partNo)) entry = found;
    }
    if (entry === undefined) {
      entry = {
        kind: 'mt',
        seq: r.seq,
        ts: r.ts,
        session: r.session,
        user: s?.user ?? null,
        from,
        to,
        encoding: f.encoding ?? 'gsm7',
        dcs: f.dcs ?? null,
        udh: f.udh ?? null,
        options: namedParams(r.params.filter(([c]) => !FIELD_PARAMS.has(c))),
        partsExpected,
        reference: f.reference,
        frames: [],
        bytes: 0,
        openKey: undefined,
        parts: [],
        reports: [],
        decisions: [],
        text: partsExpected > 1 ? null : (f.text ?? null),
        hex: partsExpected > 1 ? null : (f.binary ?? null),
        assembled: partsExpected <= 1,
        expired: false,
        timestampKeys: [],
      };
      entry.bytes = estimate(entry.text, entry.hex) + entry.options.length * 60;
      if (key !== undefined) {
        const stale = this.open.get(key);
        if (stale !== undefined) this.closeOpen(stale);
        entry.openKey = key;
        this.open.set(key, entry);
        this.boundOpen();
      }
      this.mt.push(entry);
      this.bound();
    }
    if (partsExpected > 1) {
      part.text = f.text ?? null;
      part.hex = f.binary ?? null;
      entry.bytes += estimate(part.text, part.hex) - BASE_BYTES + 100;
      this.mt.bytes += estimate(part.text, part.hex) - BASE_BYTES + 100;
    }
    insertPart(entry.parts, part);
    entry.frames.push(r.seq);
    s?.submits.set(r.pn, { entry, part });
  }

  private decision(r: TranscriptRecord & { kind: 'decision' }): void {
    const s = this.session(r.session);
    if (s === undefined) return;
    s.rules.set(r.pn, r.rule);
    if (s.rules.size > 1000) s.rules.delete(firstKey(s.rules));
    if (r.op !== 3) return;
    const sub = s.submits.get(r.pn);
    if (sub === undefined) return;
    sub.part.rule = r.rule;
    sub.entry.decisions.push(r.seq);
    const terminal = r.actions.at(-1)?.kind;
    if (terminal === 'drop' || terminal === 'disconnect') {
      sub.part.answer = { kind: 'none' };
      s.submits.delete(r.pn);
    }
  }

  private answered(r: FrameRecord, s: SessionState | undefined): void {
    if (s === undefined) return;
    const rule = s.rules.get(r.pn) ?? null;
    s.rules.delete(r.pn);
    const sub = s.submits.get(r.pn);
    if (sub === undefined || (r.op !== 53 && r.op !== 98 && r.op !== 99)) {
      s.lastAnswer = { entry: undefined, rule };
      return;
    }
    s.submits.delete(r.pn);
    const { entry, part } = sub;
    const f = r.fields;
    const base = { pn: r.pn, op: r.op, seq: r.seq, ts: r.ts };
    if (r.op === 99) part.answer = { kind: 'nack', ...base };
    else if (r.op === 98)
      part.answer = {
        kind: 'general-error',
        ...(f.errorCode !== undefined ? { errorCode: f.errorCode } : {}),
        ...(f.errorText !== undefined ? { errorText: f.errorText } : {}),
        ...base,
      };
    else if (f.errorCode !== undefined && f.errorCode !== 0)
      part.answer = {
        kind: 'error',
        errorCode: f.errorCode,
        ...(f.errorText !== undefined ? { errorText: f.errorText } : {}),
        ...base,
      };
    else {
      const timestamp = f.timestamp ?? paramValue(r, '060');
      part.answer = { kind: 'ok', ...(timestamp !== undefined ? { timestamp } : {}), ...base };
      if (timestamp !== undefined) {
        const key = `${timestamp}|${entry.to}`;
        this.byTimestamp.set(key, entry);
        entry.timestampKeys.push(key);
      }
    }
    entry.frames.push(r.seq);
    s.lastAnswer = { entry, rule };
  }

  private scheduledItem(
    session: string,
    id: number,
    action: Readonly<Record<string, unknown>>,
    seq: number,
    ts: string,
    at: string,
  ): void {
    const s = this.session(session);
    const last = s?.lastAnswer;
    const kind = typeof action['kind'] === 'string' ? action['kind'] : '';
    this.scheduled.set(id, { entry: last?.entry, rule: last?.rule ?? null, kind });
    if (this.scheduled.size > MAX_OPEN) {
      this.scheduled.delete(firstKey(this.scheduled));
    }
    if (kind !== 'statusReport' || last?.entry === undefined) return;
    const { status, statusCode } = actionStatus(action['status']);
    last.entry.reports.push({
      step: 'scheduled',
      seq,
      ts,
      status,
      statusCode,
      timestamp: null,
      scheduleId: id,
      at,
    });
  }

  private fired(
    session: string,
    id: number,
    seq: number,
    ts: string,
    cancelled: string | undefined,
  ): void {
    const item = this.scheduled.get(id);
    if (item === undefined) return;
    this.scheduled.delete(id);
    if (cancelled !== undefined) {
      if (item.kind === 'statusReport' && item.entry !== undefined) {
        const planned = item.entry.reports.find((x) => x.scheduleId === id);
        item.entry.reports.push({
          step: 'cancelled',
          seq,
          ts,
          status: planned?.status ?? null,
          statusCode: planned?.statusCode ?? null,
          timestamp: null,
          scheduleId: id,
          reason: cancelled,
        });
      }
      return;
    }
    if (item.kind === 'deliver') {
      const s = this.session(session);
      if (s !== undefined) s.moRule = item.rule;
    }
  }

  private report(r: FrameRecord, s: SessionState | undefined): void {
    if (s === undefined) return;
    const f = r.fields;
    const resend = s.reports.get(r.pn);
    if (resend !== undefined) {
      resend.entry.frames.push(r.seq);
      return;
    }
    const timestamp = f.timestamp ?? null;
    const entry =
      timestamp === null
        ? undefined
        : this.byTimestamp.get(`${timestamp}|${f.destination ?? paramValue(r, '021') ?? ''}`);
    if (entry === undefined || !this.mt.byId.has(entry.seq)) return;
    const status = f.statusName ?? (f.statusCode !== undefined ? statusName(f.statusCode) : null);
    const statusCode = f.statusCode ?? null;
    entry.reports.push({
      step: 'sent',
      seq: r.seq,
      ts: r.ts,
      status,
      statusCode,
      timestamp,
      pn: r.pn,
      ...(f.statusErrorCode !== undefined ? { errorCode: f.statusErrorCode } : {}),
    });
    entry.frames.push(r.seq);
    s.reports.set(r.pn, { entry, timestamp, status, statusCode });
  }

  private reportAnswer(r: FrameRecord, s: SessionState | undefined): void {
    const rep = s?.reports.get(r.pn);
    if (s === undefined || rep === undefined) return;
    s.reports.delete(r.pn);
    rep.entry.reports.push({
      step: 'acknowledged',
      seq: r.seq,
      ts: r.ts,
      status: rep.status,
      statusCode: rep.statusCode,
      timestamp: rep.timestamp,
      pn: r.pn,
      ...(r.fields.errorCode !== undefined ? { errorCode: r.fields.errorCode } : {}),
    });
    rep.entry.frames.push(r.seq);
  }

  private deliver(r: FrameRecord, s: SessionState | undefined): void {
    const f = r.fields;
    const pending = s?.mos.get(r.pn);
    if (pending !== undefined) {
      // A resend of an unanswered deliver.
      pending.entry.frames.push(r.seq);
      return;
    }
    const partsExpected = f.parts ?? 1;
    const partNo = f.part ?? 1;
    const from = f.originator ?? null;
    const to = f.destination ?? '';
    const part: MoPartState = {
      part: partNo,
      seq: r.seq,
      ts: r.ts,
      pn: r.pn,
      answer: { kind: 'pending' },
      text: f.text ?? null,
      hex: f.binary ?? null,
      ...(f.udh !== undefined ? { udh: f.udh } : {}),
    };
    let entry: MoEntry | undefined;
    let key: string | undefined;
    if (partsExpected > 1) {
      key = openKey('mo', r.session, from, to, f.reference, partsExpected);
      const found = this.open.get(key);
      if (found?.kind === 'mo' && !found.parts.some((p) => p.part === partNo)) entry = found;
    }
    const rule = s?.moRule ?? null;
    if (s !== undefined) s.moRule = undefined;
    if (entry === undefined) {
      entry = {
        kind: 'mo',
        seq: r.seq,
        ts: r.ts,
        session: r.session,
        user: s?.user ?? null,
        from,
        to,
        encoding: f.encoding ?? 'gsm7',
        dcs: f.dcs ?? null,
        udh: f.udh ?? null,
        options: namedParams(r.params.filter(([c]) => !FIELD_PARAMS.has(c) && c !== '060')),
        partsExpected,
        reference: f.reference,
        frames: [],
        bytes: 0,
        openKey: undefined,
        parts: [],
        timestamp: f.timestamp ?? null,
        rule,
      };
      entry.bytes = estimate() + entry.options.length * 60;
      if (key !== undefined) {
        const stale = this.open.get(key);
        if (stale !== undefined) this.closeOpen(stale);
        entry.openKey = key;
        this.open.set(key, entry);
        this.boundOpen();
      }
      this.mo.push(entry);
      this.bound();
    }
    const added = estimate(part.text, part.hex) - BASE_BYTES + 100;
    entry.bytes += added;
    this.mo.bytes += added;
    insertPart(entry.parts, part);
    if (entry.parts.length >= entry.partsExpected) this.closeOpen(entry);
    entry.frames.push(r.seq);
    s?.mos.set(r.pn, { entry, part });
  }

  private moAnswer(r: FrameRecord, s: SessionState | undefined): void {
    const mo = s?.mos.get(r.pn);
    if (s === undefined || mo === undefined) return;
    s.mos.delete(r.pn);
    const code = r.fields.errorCode;
    mo.part.answer =
      r.op === 99
        ? { kind: 'nack', seq: r.seq, ts: r.ts }
        : code !== undefined && code !== 0
          ? { kind: 'error', errorCode: code, seq: r.seq, ts: r.ts }
          : { kind: 'acknowledged', seq: r.seq, ts: r.ts };
    mo.entry.frames.push(r.seq);
  }

  private closeOpen(e: MtEntry | MoEntry): void {
    if (e.openKey !== undefined && this.open.get(e.openKey) === e) this.open.delete(e.openKey);
    e.openKey = undefined;
  }

  private boundOpen(): void {
    while (this.open.size > MAX_OPEN) {
      const first = this.open.values().next().value;
      if (first === undefined) break;
      this.closeOpen(first);
    }
  }

  /** Drops the oldest entries beyond the bounds. */
  private bound(): void {
    const over = (l: EntryList<Entry>): boolean =>
      l.size > this.maxMessages || l.bytes > this.maxBytes / 2;
    while (over(this.mt)) {
      const e = this.mt.shift();
      if (e === undefined) break;
      this.closeOpen(e);
      for (const k of e.timestampKeys)
        if (this.byTimestamp.get(k) === e) this.byTimestamp.delete(k);
    }
    while (over(this.mo)) {
      const e = this.mo.shift();
      if (e === undefined) break;
      this.closeOpen(e);
    }
  }

  /** The epoch a record seq belongs to. */
  epochOf(seq: number): number {
    let epoch: number | undefined;
    for (let i = this.resets.length - 1; i >= 0; i--) {
      const r = this.resets[i];
      if (r !== undefined && r.seq < seq) {
        epoch = r.epoch;
        break;
      }
    }
    if (epoch !== undefined) return epoch;
    const first = this.resets[0];
    // Before the first reset seen; with none seen, every kept record is in the current epoch.
    return first === undefined ? this.source.epoch : Math.max(0, first.epoch - 1);
  }

  /** Submitted messages, newest first (as entries; see {@link toMessage}). */
  messages(): Iterable<MtEntryView> {
    return this.mt.newestFirst();
  }

  /** MO messages, newest first. */
  mos(): Iterable<MoEntryView> {
    return this.mo.newestFirst();
  }

  /** The submitted message with this seq (`m<seq>`). */
  message(seq: number): MtEntryView | undefined {
    return this.mt.byId.get(seq);
  }

  /** The MO with this seq (`mo<seq>`). */
  moMessage(seq: number): MoEntryView | undefined {
    return this.mo.byId.get(seq);
  }

  /** Counters of an open session, from the transcript. */
  sessionCounters(id: string): SessionCounters | undefined {
    const s = this.sessions.get(id);
    return s === undefined
      ? undefined
      : { since: s.since, framesIn: s.framesIn, framesOut: s.framesOut };
  }

  /** Messages (MT and MO) held, and their estimated bytes. */
  get size(): { messages: number; mo: number; bytes: number } {
    return { messages: this.mt.size, mo: this.mo.size, bytes: this.mt.bytes + this.mo.bytes };
  }
}

/** A submitted message as the index holds it (read-only outside). */
export type MtEntryView = Readonly<MtEntry>;
/** An MO as the index holds it. */
export type MoEntryView = Readonly<MoEntry>;

function firstKey<K>(map: ReadonlyMap<K, unknown>): K {
  for (const k of map.keys()) return k;
  throw new Error('empty map');
}

function openKey(
  kind: string,
  session: string,
  from: string | null,
  to: string,
  reference: number | undefined,
  parts: number,
): string {
  return `${kind}|${session}|${from ?? ''}|${to}|${reference ?? ''}|${parts}`;
}

function insertPart<P extends { part: number }>(parts: P[], part: P): void {
  let i = parts.length;
  while (i > 0 && (parts[i - 1]?.part ?? 0) > part.part) i--;
  parts.splice(i, 0, part);
}

function actionStatus(v: unknown): { status: string | null; statusCode: number | null } {
  if (typeof v === 'number') return { status: statusName(v), statusCode: v };
  if (typeof v === 'string') return { status: v, statusCode: null };
  return { status: null, statusCode: null };
}

/** The summary status of a submitted message. */
export function messageStatus(e: MtEntryView): MessageStatus {
  let pending = false;
  let dropped = false;
  for (const p of e.parts) {
    const k = p.answer.kind;
    if (k === 'error' || k === 'nack' || k === 'general-error') return 'rejected';
    if (k === 'none') dropped = true;
    if (k === 'pending') pending = true;
  }
  if (dropped) return 'dropped';
  if (pending) return 'pending';
  if (e.expired) return 'expired';
  if (!e.assembled && e.parts.length < e.partsExpected) return 'incomplete';
  return 'accepted';
}

/** The summary status of an MO. */
export function moStatus(e: MoEntryView): MoStatus {
  let pending = false;
  for (const p of e.parts) {
    const k = p.answer.kind;
    if (k === 'error' || k === 'nack') return 'rejected';
    if (k === 'timeout') return 'unacknowledged';
    if (k === 'pending') pending = true;
  }
  return pending || e.parts.length < e.partsExpected ? 'pending' : 'acknowledged';
}

/** Text and hex of a message (the parts so far while it is not assembled). */
function content(e: MtEntryView): { text: string | null; hex: string | null } {
  if (e.assembled || e.partsExpected <= 1) return { text: e.text, hex: e.hex };
  const texts = e.parts.map((p) => p.text).filter((t): t is string => typeof t === 'string');
  const hexes = e.parts.map((p) => p.hex).filter((t): t is string => typeof t === 'string');
  return {
    text: texts.length > 0 ? texts.join('') : null,
    hex: texts.length === 0 && hexes.length > 0 ? hexes.join('') : null,
  };
}

/** The API shape of a submitted message. */
export function toMessage(e: MtEntryView, epoch: number): Message {
  const { text, hex } = content(e);
  const first = e.parts[0];
  const answer = e.parts.find((p) => p.answer.kind !== 'ok')?.answer ??
    first?.answer ?? {
      kind: 'pending',
    };
  const sent = e.reports.filter((x) => x.step === 'sent');
  const parts: MessagePart[] = e.parts.map((p) => ({
    part: p.part,
    seq: p.seq,
    ts: p.ts,
    pn: p.pn,
    ...(p.rule !== undefined ? { rule: p.rule } : {}),
    answer: p.answer,
    ...(p.udh !== undefined ? { udh: p.udh } : {}),
  }));
  return {
    id: `m${e.seq}`,
    seq: e.seq,
    ts: e.ts,
    session: e.session,
    user: e.user,
    from: e.from,
    to: e.to,
    text,
    hex,
    encoding: e.encoding,
    dcs: e.dcs,
    udh: e.udh,
    options: e.options,
    timestamp: first?.answer.timestamp ?? null,
    rule: first?.rule ?? null,
    answer,
    status: messageStatus(e),
    report: sent.at(-1)?.status ?? null,
    partsExpected: e.partsExpected,
    parts,
    ...(e.reference !== undefined ? { reference: e.reference } : {}),
    reports: [...e.reports],
    epoch,
  };
}

/** The API shape of an MO. */
export function toMoMessage(e: MoEntryView, epoch: number): MoMessage {
  const texts = e.parts.map((p) => p.text).filter((t): t is string => t !== null);
  const hexes = e.parts.map((p) => p.hex).filter((t): t is string => t !== null);
  const answer = e.parts.find((p) => p.answer.kind !== 'acknowledged')?.answer ??
    e.parts[0]?.answer ?? { kind: 'pending' };
  const parts: MoPart[] = e.parts.map((p) => ({
    part: p.part,
    seq: p.seq,
    ts: p.ts,
    pn: p.pn,
    answer: p.answer,
    ...(p.udh !== undefined ? { udh: p.udh } : {}),
  }));
  return {
    id: `mo${e.seq}`,
    seq: e.seq,
    ts: e.ts,
    session: e.session,
    user: e.user,
    from: e.from,
    to: e.to,
    text: texts.length > 0 ? texts.join('') : null,
    hex: texts.length === 0 && hexes.length > 0 ? hexes.join('') : null,
    encoding: e.encoding,
    dcs: e.dcs,
    udh: e.udh,
    options: e.options,
    timestamp: e.timestamp,
    rule: e.rule,
    answer,
    status: moStatus(e),
    partsExpected: e.partsExpected,
    parts,
    ...(e.reference !== undefined ? { reference: e.reference } : {}),
    epoch,
  };
}
