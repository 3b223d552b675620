/**
 * `GET /messages`, `GET /messages/{id}`, `DELETE /messages`, `GET /mo`, `GET /mo/{id}`: the
 * inbox of submitted messages and the MO messages sent, from the {@link MessageIndex}.
 *
 * Filters are checked before anything runs (an unknown parameter or value is a 400, never a
 * silent match-all); `text=/regex/` runs on the linear-time engine of scenario patterns, never
 * on JavaScript's backtracking RegExp. `wait` long-polls: the request is parked (at most
 * {@link MAX_WAITERS} at once, at most {@link MAX_WAIT_MS} each) and the index is re-read every
 * {@link WAIT_POLL_MS} ms while someone waits, only when the transcript grew.
 *
 * Over 500 lines on purpose: one handler per inbox route with its query checks (filters, cursor, long-poll), read
 * beside the OpenAPI document; the index itself is message-index.ts.
 */
import type http from 'node:http';
import { RE2JS } from 're2js';
import type { MockSmsc } from '../mock-smsc.js';
import { STATUS_NAMES } from '../protocol/status-codes.js';
import { PatternError, compileLinearRegex } from '../scenario/linear-regex.js';
import type { TranscriptRecord } from '../transcript/index.js';
import {
  HttpError,
  checkQueryKeys,
  invalidQuery,
  queryOne,
  sendJson,
  type RouteRequest,
} from './http-util.js';
import type {
  MessageDetail,
  MessageStatus,
  MoDetail,
  MoStatus,
  Page,
  RawFrameView,
} from './inbox-types.js';
import {
  MessageIndex,
  messageStatus,
  moStatus,
  namedParams,
  toMessage,
  toMoMessage,
  type MessageIndexOptions,
  type MoEntryView,
  type MtEntryView,
} from './message-index.js';

/** Longest `wait`, and the most requests waiting at once. */
export const MAX_WAIT_MS = 60_000;
export const MAX_WAITERS = 64;
/** How often parked long-polls look for new records. */
export const WAIT_POLL_MS = 50;
const PAGE_DEFAULT = 100;
const PAGE_MAX = 1000;

const MESSAGE_STATUSES: readonly MessageStatus[] = [
  'pending',
  'incomplete',
  'expired',
  'accepted',
  'rejected',
  'dropped',
];
const MO_STATUSES: readonly MoStatus[] = ['pending', 'acknowledged', 'rejected', 'unacknowledged'];
const REPORT_STATUSES: readonly string[] = Object.values(STATUS_NAMES);

const QUERY_KEYS = [
  'to',
  'from',
  'user',
  'session',
  'text',
  'status',
  'rule',
  'since',
  'epoch',
  'limit',
  'cursor',
  'wait',
];

type Kind = 'mt' | 'mo';

/** A checked query of `GET /messages` / `GET /mo`. */
export interface InboxQuery {
  readonly to?: (v: string | null) => boolean;
  readonly from?: (v: string | null) => boolean;
  readonly user?: string;
  readonly session?: string;
  readonly text?: (v: string) => boolean;
  readonly status?: ReadonlySet<string>;
  readonly rule?: string;
  readonly sinceSeq?: number;
  readonly sinceTime?: number;
  readonly allEpochs: boolean;
  readonly limit: number;
  readonly before?: number;
  readonly waitMs: number;
}

function addressMatcher(value: string): (v: string | null) => boolean {
  if (value.endsWith('*')) {
    const prefix = value.slice(0, -1);
    return (v) => v?.startsWith(prefix) === true;
  }
  return (v) => v === value;
}

const REGEX_FLAGS: Readonly<Record<string, number>> = {
  i: RE2JS.CASE_INSENSITIVE,
  s: RE2JS.DOTALL,
  m: RE2JS.MULTILINE,
};

/** `text`: a case-insensitive substring, or `/regex/flags` on the linear-time engine. */
export function textMatcher(value: string): (v: string) => boolean {
  const m = /^\/(.+)\/([a-z]*)$/s.exec(value);
  if (m === null) {
    const needle = value.toLowerCase();
    return (v) => v.toLowerCase().includes(needle);
  }
  const pattern = m[1] ?? '';
  let flags = 0;
  for (const f of m[2] ?? '') {
    const bit = REGEX_FLAGS[f];
    if (bit === undefined) {
      throw invalidQuery(`"text": regex flag ${JSON.stringify(f)} is not supported (use i, m, s)`);
    }
    flags |= bit;
  }
  try {
    // The checks of scenario regexes: syntax, what RE2 cannot run, program size.
    compileLinearRegex(pattern);
  } catch (error) {
    if (error instanceof PatternError) {
      throw invalidQuery(`"text": invalid regex /${pattern}/: ${error.message}`);
    }
    throw error;
  }
  const re = RE2JS.compile(RE2JS.translateRegExp(pattern), flags);
  return (v) => re.matcher(v).find();
}

/** Parses `wait` (`5s`, `500ms`, `5`) to milliseconds. */
export function parseWait(value: string): number {
  const m = /^(\d{1,6}(?:\.\d{1,3})?)(ms|s)?$/.exec(value);
  if (m === null)
    throw invalidQuery(`"wait" must be a duration like 5s or 500ms (got ${JSON.stringify(value)})`);
  const n = Number(m[1]);
  const ms = m[2] === 'ms' ? n : n * 1000;
  if (ms > MAX_WAIT_MS) {
    throw invalidQuery(
      `"wait" must be at most ${MAX_WAIT_MS / 1000}s (got ${JSON.stringify(value)})`,
    );
  }
  return Math.round(ms);
}

/** Checks and parses the query of `GET /messages` (`kind` mt) or `GET /mo`. */
export function parseInboxQuery(query: URLSearchParams, kind: Kind): InboxQuery {
  checkQueryKeys(query, QUERY_KEYS);
  const get = (k: string): string | undefined => queryOne(query, k);
  const out: {
    -readonly [K in keyof InboxQuery]: InboxQuery[K];
  } = { allEpochs: false, limit: PAGE_DEFAULT, waitMs: 0 };
  const to = get('to');
  if (to !== undefined) out.to = addressMatcher(to);
  const from = get('from');
  if (from !== undefined) out.from = addressMatcher(from);
  const user = get('user');
  if (user !== undefined) out.user = user;
  const session = get('session');
  if (session !== undefined) out.session = session;
  const text = get('text');
  if (text !== undefined && text !== '') out.text = textMatcher(text);
  const status = get('status');
  if (status !== undefined) {
    const allowed: readonly string[] =
      kind === 'mt' ? [...MESSAGE_STATUSES, ...REPORT_STATUSES] : MO_STATUSES;
    const set = new Set<string>();
    for (const s of status.split(',')) {
      const v = s.trim();
      if (!allowed.includes(v)) {
        throw invalidQuery(
          `"status": unknown status ${JSON.stringify(v)} (known: ${allowed.join(', ')})`,
        );
      }
      set.add(v);
    }
    out.status = set;
  }
  const rule = get('rule');
  if (rule !== undefined) out.rule = rule;
  const since = get('since');
  if (since !== undefined) {
    if (/^\d{1,15}$/.test(since)) out.sinceSeq = Number(since);
    else {
      const t = /^\d{4}-\d{2}-\d{2}T/.test(since) ? Date.parse(since) : NaN;
      if (!Number.isFinite(t)) {
        throw invalidQuery(
          `"since" must be a record seq or an ISO-8601 time (got ${JSON.stringify(since)})`,
        );
      }
      out.sinceTime = t;
    }
  }
  const epoch = get('epoch');
  if (epoch !== undefined) {
    if (epoch !== 'current' && epoch !== 'all') {
      throw invalidQuery(`"epoch" must be current or all (got ${JSON.stringify(epoch)})`);
    }
    out.allEpochs = epoch === 'all';
  }
  const limit = get('limit');
  if (limit !== undefined) {
    const n = Number(limit);
    if (!/^\d{1,4}$/.test(limit) || n < 1 || n > PAGE_MAX) {
      throw invalidQuery(
        `"limit" must be an integer from 1 to ${PAGE_MAX} (got ${JSON.stringify(limit)})`,
      );
    }
    out.limit = n;
  }
  const cursor = get('cursor');
  if (cursor !== undefined) {
    const m = (kind === 'mt' ? /^m(\d{1,15})$/ : /^mo(\d{1,15})$/).exec(cursor);
    if (m === null) {
      throw invalidQuery(
        `"cursor" must be the "next" of a previous page (got ${JSON.stringify(cursor)})`,
      );
    }
    out.before = Number(m[1]);
  }
  const wait = get('wait');
  if (wait !== undefined) out.waitMs = parseWait(wait);
  return out;
}

interface Waiter {
  readonly check: () => boolean;
  readonly done: () => void;
}

/** The inbox of one control API: the index, the long-polls. */
export class Inbox {
  readonly mock: MockSmsc;
  private indexValue: MessageIndex | undefined;
  private readonly indexOptions: MessageIndexOptions;
  private readonly waiters = new Set<Waiter>();
  private poll: NodeJS.Timeout | undefined;
  private polledSeq = 0;

  constructor(mock: MockSmsc, options: MessageIndexOptions = {}) {
    this.mock = mock;
    this.indexOptions = options;
  }

  /** The index, created on first use. */
  get index(): MessageIndex {
    this.indexValue ??= new MessageIndex(this.mock, this.indexOptions);
    return this.indexValue;
  }

  /** True once something asked for the index. */
  get started(): boolean {
    return this.indexValue !== undefined;
  }

  /** Requests parked in a long-poll now. */
  get waiting(): number {
    return this.waiters.size;
  }

  private matches(e: MtEntryView | MoEntryView, q: InboxQuery, kind: Kind): boolean {
    if (!q.allEpochs && e.seq <= this.index.epochStartSeq) return false;
    if (q.sinceSeq !== undefined && e.seq <= q.sinceSeq) return false;
    if (q.sinceTime !== undefined && Date.parse(e.ts) < q.sinceTime) return false;
    if (q.session !== undefined && e.session !== q.session) return false;
    if (q.user !== undefined && e.user !== q.user) return false;
    if (q.to !== undefined && !q.to(e.to)) return false;
    if (q.from !== undefined && !q.from(e.from)) return false;
    if (kind === 'mt') {
      const m = e as MtEntryView;
      if (q.rule !== undefined && !m.parts.some((p) => (p.rule ?? 'default') === q.rule)) {
        return false;
      }
      if (q.status !== undefined) {
        const own = messageStatus(m);
        const hit =
          q.status.has(own) ||
          m.reports.some((x) => x.step === 'sent' && x.status !== null && q.status?.has(x.status));
        if (!hit) return false;
      }
      if (q.text !== undefined) {
        const v = toMessage(m, 0);
        if (!q.text(v.text ?? v.hex ?? '')) return false;
      }
    } else {
      const m = e as MoEntryView;
      if (q.rule !== undefined && (m.rule ?? 'default') !== q.rule) return false;
      if (q.status !== undefined && !q.status.has(moStatus(m))) return false;
      if (q.text !== undefined) {
        const v = toMoMessage(m, 0);
        if (!q.text(v.text ?? v.hex ?? '')) return false;
      }
    }
    return true;
  }

  /** One page (after the index caught up). */
  page(
    kind: Kind,
    q: InboxQuery,
  ): Page<ReturnType<typeof toMessage> | ReturnType<typeof toMoMessage>> {
    const index = this.index;
    const items: (ReturnType<typeof toMessage> | ReturnType<typeof toMoMessage>)[] = [];
    let total = 0;
    let more = false;
    const source: Iterable<MtEntryView | MoEntryView> =
      kind === 'mt' ? index.messages() : index.mos();
    for (const e of source) {
      if (!this.matches(e, q, kind)) continue;
      total++;
      if (q.before !== undefined && e.seq >= q.before) continue;
      if (items.length < q.limit) {
        const epoch = index.epochOf(e.seq);
        items.push(
          kind === 'mt' ? toMessage(e as MtEntryView, epoch) : toMoMessage(e as MoEntryView, epoch),
        );
      } else more = true;
    }
    const last = items.at(-1);
    return {
      messages: items,
      next: more && last !== undefined ? last.id : null,
      total,
      lastSeq: index.lastSeq,
      truncated: index.truncated,
    };
  }

  /** Parks until `check` passes, the time runs out or the client goes; true when it passed. */
  waitUntil(check: () => boolean, ms: number, res: http.ServerResponse): Promise<boolean> {
    if (this.waiters.size >= MAX_WAITERS) {
      return Promise.reject(
        new HttpError(
          503,
          'ERR_CONTROL_BUSY',
          `too many long-polls at once (at most ${MAX_WAITERS})`,
          {
            headers: { 'Retry-After': '1' },
          },
        ),
      );
    }
    return new Promise((resolve) => {
      const finish = (ok: boolean): void => {
        clearTimeout(timer);
        res.off('close', onClose);
        this.waiters.delete(waiter);
        if (this.waiters.size === 0) this.stopPolling();
        resolve(ok);
      };
      const waiter: Waiter = {
        check,
        done: () => {
          finish(true);
        },
      };
      const timer = setTimeout(() => {
        finish(false);
      }, ms);
      const onClose = (): void => {
        finish(false);
      };
      res.on('close', onClose);
      this.waiters.add(waiter);
      this.startPolling();
    });
  }

  private startPolling(): void {
    if (this.poll !== undefined) return;
    this.polledSeq = this.index.lastSeq;
    this.poll = setInterval(() => {
      if (this.mock.lastSeq <= this.polledSeq) return;
      this.polledSeq = this.mock.lastSeq;
      void this.index.catchUp().then(() => {
        for (const w of [...this.waiters]) if (w.check()) w.done();
      });
    }, WAIT_POLL_MS);
    this.poll.unref();
  }

  private stopPolling(): void {
    if (this.poll !== undefined) clearInterval(this.poll);
    this.poll = undefined;
  }

  /** Ends every long-poll (the API closes). */
  close(): void {
    this.stopPolling();
    for (const w of [...this.waiters]) w.done();
  }
}

/** The context the inbox routes need. */
export interface InboxContext {
  readonly mock: MockSmsc;
  readonly inbox: Inbox;
}

async function list(r: RouteRequest<InboxContext>, kind: Kind): Promise<void> {
  const q = parseInboxQuery(r.query, kind);
  const { inbox } = r.ctx;
  await inbox.index.catchUp();
  let page = inbox.page(kind, q);
  if (page.messages.length === 0 && q.waitMs > 0) {
    const ok = await inbox.waitUntil(
      () => {
        page = inbox.page(kind, q);
        return page.messages.length > 0;
      },
      q.waitMs,
      r.res,
    );
    if (r.res.destroyed) return;
    if (!ok) {
      await inbox.index.catchUp();
      page = inbox.page(kind, q);
      if (page.messages.length === 0) page = { ...page, timedOut: true };
    }
  }
  sendJson(r.res, 200, page);
}

/** `GET /messages`. */
export function getMessages(r: RouteRequest<InboxContext>): Promise<void> {
  return list(r, 'mt');
}

/** `GET /mo`. */
export function getMo(r: RouteRequest<InboxContext>): Promise<void> {
  return list(r, 'mo');
}

/** `DELETE /messages`: a new epoch, as `POST /reset`. */
export function deleteMessages(r: RouteRequest<InboxContext>): Promise<void> {
  checkQueryKeys(r.query, ['sessions']);
  const sessions = queryOne(r.query, 'sessions') ?? 'keep';
  if (sessions !== 'keep' && sessions !== 'close') {
    throw invalidQuery(`"sessions" must be keep or close (got ${JSON.stringify(sessions)})`);
  }
  const result = r.ctx.mock.reset({ sessions });
  sendJson(r.res, 200, { status: 'ok', ...result });
  return Promise.resolve();
}

/** The kept records with these seqs (missing ones left memory). */
export function recordsBySeq(
  mock: MockSmsc,
  seqs: readonly number[],
): Map<number, TranscriptRecord> {
  const out = new Map<number, TranscriptRecord>();
  const sorted = [...new Set(seqs)].sort((a, b) => a - b);
  let i = 0;
  while (i < sorted.length) {
    const first = sorted[i] ?? 0;
    // Read a run of close seqs in one pass.
    let j = i;
    while (j + 1 < sorted.length && (sorted[j + 1] ?? 0) - first < 500) j++;
    const last = sorted[j] ?? first;
    const page = mock.transcriptLines(first - 1, { all: true, limit: last - first + 1 });
    const want = new Set(sorted.slice(i, j + 1));
    for (const chunk of page.chunks) {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (line === '') continue;
        const m = /^\{"seq":(\d+)/.exec(line);
        if (m !== null && !want.has(Number(m[1]))) continue;
        const rec = JSON.parse(line) as TranscriptRecord;
        if (want.has(rec.seq)) out.set(rec.seq, rec);
      }
    }
    i = j + 1;
  }
  return out;
}

function frameView(rec: TranscriptRecord): RawFrameView | undefined {
  if (rec.kind !== 'frame') return undefined;
  return {
    seq: rec.seq,
    ts: rec.ts,
    dir: rec.dir,
    op: rec.op,
    opName: rec.opName,
    pn: rec.pn,
    raw: rec.raw,
    hex: Buffer.from(rec.raw, 'latin1').toString('hex').toUpperCase(),
    params: namedParams(rec.params),
  };
}

function idSeq(path: string, prefix: string): number {
  const id = decodeURIComponent(path.slice(path.lastIndexOf('/') + 1));
  const m = new RegExp(`^${prefix}(\\d{1,15})$`).exec(id);
  if (m === null) {
    throw new HttpError(404, 'ERR_MESSAGE_UNKNOWN', `no message ${JSON.stringify(id)}`);
  }
  return Number(m[1]);
}

/** `GET /messages/{id}`. */
export async function getMessage(r: RouteRequest<InboxContext>): Promise<void> {
  checkQueryKeys(r.query, []);
  const seq = idSeq(r.path, 'm');
  const { inbox, mock } = r.ctx;
  await inbox.index.catchUp();
  const e = inbox.index.message(seq);
  if (e === undefined) throw new HttpError(404, 'ERR_MESSAGE_UNKNOWN', `no message m${seq}`);
  const records = recordsBySeq(mock, [...e.frames, ...e.decisions]);
  const frames = e.frames
    .map((s) => records.get(s))
    .flatMap((rec) => (rec === undefined ? [] : [frameView(rec)].filter((f) => f !== undefined)));
  const explanations = e.decisions.flatMap((s) => {
    const rec = records.get(s);
    return rec?.kind === 'decision' ? [rec.explanation] : [];
  });
  const body: MessageDetail = {
    ...toMessage(e, inbox.index.epochOf(e.seq)),
    frames: frames.sort((a, b) => a.seq - b.seq),
    explanations,
    framesTruncated: frames.length < new Set(e.frames).size,
  };
  sendJson(r.res, 200, body);
}

/** `GET /mo/{id}`. */
export async function getMoMessage(r: RouteRequest<InboxContext>): Promise<void> {
  checkQueryKeys(r.query, []);
  const seq = idSeq(r.path, 'mo');
  const { inbox, mock } = r.ctx;
  await inbox.index.catchUp();
  const e = inbox.index.moMessage(seq);
  if (e === undefined) throw new HttpError(404, 'ERR_MESSAGE_UNKNOWN', `no MO mo${seq}`);
  const records = recordsBySeq(mock, e.frames);
  const frames = e.frames.flatMap((s) => {
    const rec = records.get(s);
    const f = rec === undefined ? undefined : frameView(rec);
    return f === undefined ? [] : [f];
  });
  const body: MoDetail = {
    ...toMoMessage(e, inbox.index.epochOf(e.seq)),
    frames: frames.sort((a, b) => a.seq - b.seq),
    framesTruncated: frames.length < new Set(e.frames).size,
  };
  sendJson(r.res, 200, body);
}
