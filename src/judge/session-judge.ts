/**
 * The judge's state of one connection and its checks (docs/judge.md). Fed with every frame both
 * ways (the client's with the server's one decode of its fields) and with the close; reports
 * each violation once through `found`. Per frame it does table look-ups and scans of the values
 * it already has; it allocates only to report a finding or to keep an incomplete multipart set.
 *
 * Over 500 lines on purpose: one method per client check, each next to the per-session state it reads (typed arrays,
 * no allocation per frame); splitting it would spread one state over several files.
 */
import type { FrameDecode } from '../protocol/fields.js';
import type { Frame } from '../protocol/frame.js';
import { Op, opName, operationInfo, type OperationInfo } from '../protocol/operations.js';
import { Param, describeParam } from '../protocol/parameters.js';
import type { Clock, TimerHandle } from '../util/clock.js';
import type { CheckId } from './checks.js';
import {
  allows,
  dcsAlphabet,
  hexProblem,
  opParams,
  paramRow,
  textProblem,
  validityProblem,
  valueProblem,
} from './params.js';

/** What the session judge needs from the observer. */
export interface SessionJudgeContext {
  readonly clock: Clock;
  /** Reports one finding (the observer applies the scenario's levels). */
  found(session: string, check: CheckId, message: string, frameSeq: number): void;
  /** KeepAliveInterval in ms (0 = off), read when the silence timer is armed. */
  keepAliveMs(): number;
  readonly ackTimeoutMs: number;
  readonly aliveTimeoutMs: number;
  readonly multipartTtlMs: number;
  /** Shared scratch: the frame number at which each parameter code was last seen. */
  readonly seen: Int32Array;
  /** Increments per frame: the stamp written in `seen`. */
  stamp(): number;
}

const Login = { None: 0, Pending: 1, Accepted: 2 } as const;
type Login = (typeof Login)[keyof typeof Login];

/** Alives closer than this are a flood. */
export const ALIVE_MIN_GAP_MS = 1000;

/** An incomplete concatenated message. */
interface PartSet {
  readonly reference: number;
  readonly total: number;
  readonly destination: string;
  readonly got: Uint8Array;
  count: number;
  readonly firstSeq: number;
  timer: TimerHandle | undefined;
}

function p3(n: number): string {
  return String(n).padStart(3, '0');
}

/** `submit 003`: an operation and packet number for messages. */
function frameName(op: number, pn: number): string {
  return `${opName(op)} ${p3(pn)}`;
}

/** The operation table by code (0–99): one array look-up per frame. */
const OPERATIONS: (OperationInfo | undefined)[] = Array.from({ length: 100 }, (_, code) =>
  operationInfo(code),
);

function operation(op: number): OperationInfo | undefined {
  return op >= 0 && op < 100 ? OPERATIONS[op] : operationInfo(op);
}

/** Texts of a close the client caused (its FIN, its reset, its half-close). */
const CLIENT_CLOSES = new Set([
  'remote closed the connection',
  'connection closed',
  'client half-closed; answers sent',
]);

export class SessionJudge {
  readonly id: string;
  private readonly ctx: SessionJudgeContext;
  private login: Login = Login.None;
  private loginPn = -1;
  /** 019 of the pending login (1 when absent). */
  private loginWindow = 1;
  private window = 1;
  private logoutSent = false;
  /** Packet number of the previous request (-1: none, or not usable as a base). */
  private prevPn = -1;
  /** Client requests waiting for their answer, by pn: count and when sent. */
  private readonly waiting = new Uint8Array(256);
  private readonly waitingSince = new Float64Array(256);
  private waitingCount = 0;
  /** Server requests (20, 23, 40) waiting for the client's response: op (0 none) and record seq. */
  private readonly serverOp = new Uint8Array(256);
  private readonly serverSeq = new Float64Array(256);
  /** Resent copies of a server request whose extra answers are not findings. */
  private readonly serverCopies = new Uint8Array(256);
  private serverTimers: Map<number, TimerHandle> | undefined;
  private lastFrameSeq = 0;
  private lastFrameAt: number;
  private silenceTimer: TimerHandle | undefined;
  private silenceReported = false;
  private lastAliveAt = -Infinity;
  private floodReported = false;
  private sets: Map<number, PartSet> | undefined;
  private closed = false;

  constructor(id: string, ctx: SessionJudgeContext) {
    this.id = id;
    this.ctx = ctx;
    this.lastFrameAt = ctx.clock.now();
  }

  private found(check: CheckId, message: string, frameSeq: number): void {
    this.ctx.found(this.id, check, message, frameSeq);
  }

  // ------------------------------------------------------------ client frames

  /**
   * A client frame that did not decode (`checksum`: it was a checksum mismatch); `op` and `pn`
   * when its header was readable: a request's number counts as used (a client resends a NACKed
   * request with the next number).
   */
  badFrame(seq: number, checksum: boolean, message: string, op?: number, pn?: number): void {
    if (this.closed) return;
    this.activity(seq, this.ctx.clock.now());
    if (op !== undefined && pn !== undefined && op < 50 && pn % 2 === 1) this.prevPn = pn;
    if (checksum) this.found('bad-checksum', message, seq);
    else this.found('malformed-frame', message, seq);
  }

  /** A client frame that decoded, with the server's one decode of its fields. */
  frameIn(frame: Frame, seq: number, decode: FrameDecode | undefined): void {
    if (this.closed) return;
    const now = this.ctx.clock.now();
    this.activity(seq, now);
    const { op, pn } = frame;
    const info = operation(op);
    if (info === undefined || info.sender === 'server') {
      this.found(
        'operation-not-allowed',
        `the client sent ${frameName(op, pn)}, an operation ${info === undefined ? 'the protocol does not define' : 'only the SMSC sends'}`,
        seq,
      );
      if (op < 50 && pn % 2 === 1) this.prevPn = pn;
      return;
    }
    if (info.isResponse) {
      this.response(frame, seq);
      this.parameters(frame, seq, undefined);
      return;
    }
    // A request before the login is the violation; the window it also overruns is not another.
    const early = this.session(op, pn, seq);
    this.packetNumber(op, pn, seq, early, now);
    this.waiting[pn] = (this.waiting[pn] ?? 0) + 1;
    this.waitingSince[pn] = now;
    this.waitingCount++;
    switch (op) {
      case Op.Login:
        this.loginPn = pn;
        this.loginWindow = windowOf(frame);
        break;
      case Op.Logout:
        this.logoutSent = true;
        break;
      case Op.Alive:
        this.alive(seq, now);
        break;
      default:
        break;
    }
    this.parameters(frame, seq, decode);
  }

  private activity(seq: number, now: number): void {
    // The gap this frame ends was too long (the timer may not have run yet). A gap shorter than
    // the silence timer's next due time cannot be: only then is the interval read.
    if (this.login === Login.Accepted && !this.silenceReported && now > this.lastFrameAt)
      this.silent(now);
    this.lastFrameSeq = seq;
    this.lastFrameAt = now;
    this.silenceReported = false;
    if (this.silenceTimer === undefined && this.login === Login.Accepted) this.armSilence();
  }

  /** pn-not-odd, pn-reused, pn-sequence (at most one: one wrong number is one finding), window. */
  private packetNumber(op: number, pn: number, seq: number, early: boolean, now: number): void {
    const reused = (this.waiting[pn] ?? 0) > 0 && !this.stale(pn, now);
    if (pn % 2 === 0) {
      this.found(
        'pn-not-odd',
        `${frameName(op, pn)}: packet number ${p3(pn)} is even; the client's requests use odd numbers`,
        seq,
      );
    } else if (reused) {
      this.found(
        'pn-reused',
        `${frameName(op, pn)}: packet number ${p3(pn)} is still in use by a request waiting for its response`,
        seq,
      );
    } else if (this.prevPn >= 0 && this.window <= 1) {
      const expected = (this.prevPn + 2) % 256;
      if (pn !== expected)
        this.found(
          'pn-sequence',
          `${frameName(op, pn)}: packet number ${p3(pn)} after ${p3(this.prevPn)}; expected ${p3(expected)}`,
          seq,
        );
    }
    this.prevPn = pn % 2 === 0 ? -1 : pn;
    if (
      !reused &&
      !early &&
      this.waitingCount >= this.window &&
      this.outstanding(now) >= this.window
    ) {
      const n = this.waitingCount;
      this.found(
        'window-exceeded',
        `${frameName(op, pn)} sent while ${n} request${n === 1 ? '' : 's'} still wait${n === 1 ? 's' : ''} for a response; the window is ${this.window}${this.window === 1 ? ' (no 019 at login)' : ''}`,
        seq,
      );
    }
  }

  /** A request the server gave no answer to within the ack timeout no longer counts (a drop). */
  private stale(pn: number, now: number): boolean {
    return now - (this.waitingSince[pn] ?? 0) >= this.ctx.ackTimeoutMs;
  }

  /** Requests waiting for their answer, the stale ones dropped (the rare path: a full window). */
  private outstanding(now: number): number {
    let n = 0;
    for (let pn = 0; pn < 256; pn++) {
      const w = this.waiting[pn] ?? 0;
      if (w === 0) continue;
      if (this.stale(pn, now)) {
        this.waitingCount -= w;
        this.waiting[pn] = 0;
      } else n += w;
    }
    return n;
  }

  /** request-before-login, second-login; true when one was found. */
  private session(op: number, pn: number, seq: number): boolean {
    if (op === Op.Login) {
      if (this.login === Login.None) {
        this.login = Login.Pending;
        return false;
      }
      this.found(
        'second-login',
        `${frameName(op, pn)}: a login of this connection is already ${this.login === Login.Accepted ? 'accepted' : 'pending'}`,
        seq,
      );
      return true;
    }
    if (this.login === Login.Accepted) return false;
    this.found(
      'request-before-login',
      `${frameName(op, pn)} sent before ${this.login === Login.Pending ? 'the login was accepted' : 'any login'}`,
      seq,
    );
    return true;
  }

  private alive(seq: number, now: number): void {
    const gap = now - this.lastAliveAt;
    this.lastAliveAt = now;
    if (gap >= ALIVE_MIN_GAP_MS) {
      this.floodReported = false;
      return;
    }
    if (this.floodReported) return;
    this.floodReported = true;
    this.found(
      'alive-flood',
      `alive ${gap} ms after the previous one (at most one a second; reported once per burst)`,
      seq,
    );
  }

  /** A 70, 73, 90 or 99 from the client. */
  private response(frame: Frame, seq: number): void {
    const { op, pn } = frame;
    const sent = this.serverOp[pn] ?? 0;
    if (op === Op.Nack) return;
    if (sent === 0) {
      const copies = this.serverCopies[pn] ?? 0;
      if (copies > 0) {
        // The answer to a copy the server resent: the client acknowledges duplicates.
        this.serverCopies[pn] = copies - 1;
        return;
      }
      this.found(
        'response-unknown-pn',
        `${frameName(op, pn)}: the server has no request ${p3(pn)} waiting for a response`,
        seq,
      );
      return;
    }
    this.serverDone(pn);
    if (op !== sent + 50)
      this.found(
        'response-wrong-op',
        `${frameName(op, pn)} answers ${frameName(sent, pn)}; expected ${opName(sent + 50)} (${sent + 50})`,
        seq,
      );
  }

  private serverDone(pn: number): void {
    this.serverOp[pn] = 0;
    const timer = this.serverTimers?.get(pn);
    if (timer !== undefined) {
      this.ctx.clock.clearTimeout(timer);
      this.serverTimers?.delete(pn);
    }
  }

  /** Parameter checks: allowed, repeated, missing, values, 033 alphabet, hex, user data, parts. */
  private parameters(frame: Frame, seq: number, decode: FrameDecode | undefined): void {
    const rules = opParams(frame.op);
    if (rules === undefined) return;
    const stamp = this.ctx.stamp();
    const seen = this.ctx.seen;
    let hexBad = false;
    let udBad = false;
    for (const { code, value } of frame.params) {
      const info = paramRow(code);
      if (info === undefined || !allows(rules, code)) {
        this.found(
          'parameter-not-allowed',
          `${frameName(frame.op, frame.pn)}: ${describeParam(code)} ${info === undefined ? 'is not a CIMD2 parameter' : `is not a parameter of ${opName(frame.op)}`}`,
          seq,
        );
        continue;
      }
      if (code < seen.length) {
        if (seen[code] === stamp && info.repeatable !== true) {
          this.found(
            'parameter-repeated',
            `${frameName(frame.op, frame.pn)}: ${describeParam(code)} appears more than once`,
            seq,
          );
          continue;
        }
        seen[code] = stamp;
      }
      let problem: string | undefined;
      switch (code) {
        case Param.ValidityPeriodRelative:
        case Param.ValidityPeriodAbsolute:
          problem = validityProblem(code, value);
          if (problem !== undefined)
            this.found(
              'validity-out-of-range',
              `${frameName(frame.op, frame.pn)}: ${describeParam(code)}: ${problem}`,
              seq,
            );
          continue;
        case Param.UserDataHeader:
        case Param.UserDataBinary:
          problem =
            info.maxLength !== undefined && value.length > info.maxLength
              ? undefined
              : hexProblem(value);
          if (problem !== undefined) {
            hexBad = true;
            this.found(
              'hex-invalid',
              `${frameName(frame.op, frame.pn)}: ${describeParam(code)}: ${problem}`,
              seq,
            );
            continue;
          }
          break;
        case Param.UserData:
          problem = textProblem(value);
          if (problem !== undefined) {
            udBad = true;
            this.found(
              'text-alphabet',
              `${frameName(frame.op, frame.pn)}: ${describeParam(code)}: ${problem}`,
              seq,
            );
            continue;
          }
          break;
        default:
          break;
      }
      problem = valueProblem(info, value);
      if (problem !== undefined) {
        if (code === Param.DataCodingScheme) udBad = true;
        this.found(
          'parameter-invalid',
          `${frameName(frame.op, frame.pn)}: ${describeParam(code)}: ${problem}`,
          seq,
        );
      }
    }
    let missing: string | undefined;
    for (const code of rules.mandatory)
      if (seen[code] !== stamp)
        missing = `${missing === undefined ? '' : `${missing}, `}${describeParam(code)}`;
    if (missing !== undefined)
      this.found('parameter-missing', `${frameName(frame.op, frame.pn)}: no ${missing}`, seq);
    if (frame.op === Op.Submit && decode !== undefined && !hexBad && !udBad)
      this.userData(frame, seq, decode, seen[Param.UserData] === stamp);
  }

  /** user-data-conflict, then the concatenation checks of a submit whose user data decoded. */
  private userData(frame: Frame, seq: number, decode: FrameDecode, hasText: boolean): void {
    const fields = decode.fields;
    if (fields.userDataError !== undefined) {
      this.found(
        'user-data-conflict',
        `${frameName(frame.op, frame.pn)}: ${fields.userDataError}`,
        seq,
      );
      return;
    }
    if (hasText && fields.dcs !== undefined) {
      const alphabet = dcsAlphabet(fields.dcs);
      if (alphabet !== 'gsm7') {
        this.found(
          'user-data-conflict',
          `${frameName(frame.op, frame.pn)}: user data (033) is 7-bit text but the data coding scheme (030) ${fields.dcs} says ${alphabet === 'ucs2' ? 'UCS2' : alphabet === '8bit' ? '8-bit data' : 'a reserved alphabet'}`,
          seq,
        );
        return;
      }
    }
    if (fields.parts !== undefined && fields.parts > 1 && fields.reference !== undefined)
      this.part(
        frame,
        seq,
        fields.reference,
        fields.parts,
        fields.part ?? 0,
        fields.destination ?? '',
      );
  }

  private part(
    frame: Frame,
    seq: number,
    reference: number,
    total: number,
    part: number,
    destination: string,
  ): void {
    const sets = (this.sets ??= new Map<number, PartSet>());
    const name = frameName(frame.op, frame.pn);
    const set = sets.get(reference);
    if (set === undefined) {
      if (part > 1) {
        // Part n of a set whose reference nobody started: an open set missing part n, with the
        // same total and destination, is the message it belongs to.
        for (const other of sets.values())
          if (
            other.total === total &&
            other.destination === destination &&
            (other.got[part] ?? 0) === 0
          ) {
            this.found(
              'parts-disagree',
              `${name}: part ${part}/${total} carries reference ${reference}, the earlier parts ${other.reference}`,
              seq,
            );
            return;
          }
      }
      this.openSet(reference, total, part, destination, seq);
      return;
    }
    if (set.total !== total || set.destination !== destination) {
      const what =
        set.total !== total
          ? `total ${total}, the earlier parts ${set.total}`
          : `destination ${destination}, the earlier parts ${set.destination}`;
      this.found(
        'parts-disagree',
        `${name}: part ${part} of reference ${reference} says ${what}`,
        seq,
      );
      return;
    }
    if (part < 1 || part > total || (set.got[part] ?? 0) !== 0) return;
    set.got[part] = 1;
    set.count++;
    if (set.count === set.total) this.closeSet(set);
  }

  private openSet(
    reference: number,
    total: number,
    part: number,
    destination: string,
    seq: number,
  ): void {
    const set: PartSet = {
      reference,
      total,
      destination,
      got: new Uint8Array(total + 1),
      count: 0,
      firstSeq: seq,
      timer: undefined,
    };
    if (part >= 1 && part <= total) {
      set.got[part] = 1;
      set.count = 1;
    }
    this.sets?.set(reference, set);
    set.timer = this.ctx.clock.setTimeout(() => {
      set.timer = undefined;
      this.incomplete(set, `within the multipart TTL (${this.ctx.multipartTtlMs} ms)`);
    }, this.ctx.multipartTtlMs);
  }

  private closeSet(set: PartSet): void {
    if (set.timer !== undefined) this.ctx.clock.clearTimeout(set.timer);
    set.timer = undefined;
    this.sets?.delete(set.reference);
  }

  private incomplete(set: PartSet, when: string): void {
    this.closeSet(set);
    const missing: number[] = [];
    for (let i = 1; i <= set.total; i++) if (set.got[i] === 0) missing.push(i);
    this.found(
      'parts-incomplete',
      `message to ${set.destination} with reference ${set.reference}: ${set.count} of ${set.total} parts arrived ${when}; missing part${missing.length === 1 ? '' : 's'} ${missing.join(', ')}`,
      set.firstSeq,
    );
  }

  // ------------------------------------------------------------ server frames

  /** A frame the server sent (`seq`: its record). */
  frameOut(frame: Frame, seq: number): void {
    if (this.closed) return;
    const { op, pn } = frame;
    if (op >= 50) {
      const w = this.waiting[pn] ?? 0;
      if (w > 0) {
        this.waiting[pn] = w - 1;
        this.waitingCount--;
      }
      if (op === Op.LoginResponse && pn === this.loginPn && this.login === Login.Pending)
        this.loginAnswered(frame);
      return;
    }
    if (op !== Op.DeliverMessage && op !== Op.DeliverStatusReport && op !== Op.Alive) return;
    if (this.serverOp[pn] === op) {
      // A resend with the same number: one more answer may come.
      this.serverCopies[pn] = Math.min(255, (this.serverCopies[pn] ?? 0) + 1);
      return;
    }
    this.serverCopies[pn] = 0;
    this.serverOp[pn] = op;
    this.serverSeq[pn] = seq;
    const ms = op === Op.Alive ? this.ctx.aliveTimeoutMs : this.ctx.ackTimeoutMs;
    const timers = (this.serverTimers ??= new Map<number, TimerHandle>());
    const old = timers.get(pn);
    if (old !== undefined) this.ctx.clock.clearTimeout(old);
    timers.set(
      pn,
      this.ctx.clock.setTimeout(() => {
        timers.delete(pn);
        if (this.serverOp[pn] !== op || this.closed) return;
        const response = opName(op + 50);
        this.found(
          'no-response',
          `no ${response} (${op + 50}) to ${frameName(op, pn)} within ${ms} ms`,
          this.serverSeq[pn] ?? 0,
        );
      }, ms),
    );
  }

  private loginAnswered(frame: Frame): void {
    let refused = false;
    for (const p of frame.params)
      if (p.code === Param.ErrorCode && Number(p.value) !== 0) refused = true;
    if (refused) {
      this.login = Login.None;
      return;
    }
    this.login = Login.Accepted;
    this.window = this.loginWindow;
    this.armSilence();
  }

  // ------------------------------------------------------------ time

  private armSilence(): void {
    if (this.silenceTimer !== undefined || this.closed) return;
    const ms = this.ctx.keepAliveMs();
    if (ms <= 0) return;
    const due = Math.max(0, this.lastFrameAt + ms - this.ctx.clock.now());
    this.silenceTimer = this.ctx.clock.setTimeout(() => {
      this.silenceTimer = undefined;
      if (this.closed || this.silenceReported || this.logoutSent) return;
      if (!this.silent(this.ctx.clock.now())) this.armSilence();
    }, due);
  }

  /** Reports the silence up to `now` when it is longer than the keep-alive interval. */
  private silent(now: number): boolean {
    const ms = this.ctx.keepAliveMs();
    const quiet = now - this.lastFrameAt;
    if (ms <= 0 || this.logoutSent || quiet < ms) return false;
    this.silenceReported = true;
    this.found(
      'silence',
      `nothing from the client for ${quiet} ms, the keep-alive interval (${ms} ms) or longer, and no alive`,
      this.lastFrameSeq,
    );
    return true;
  }

  /** The connection closed: close-without-logout, incomplete multipart sets; timers stop. */
  close(reason: { readonly code: number; readonly text: string }): void {
    if (this.closed) return;
    const byClient = reason.code > 0 || (reason.code === 0 && CLIENT_CLOSES.has(reason.text));
    if (this.login === Login.Accepted && !this.logoutSent && byClient)
      this.found(
        'close-without-logout',
        `the client closed the connection without a logout (${reason.text})`,
        this.lastFrameSeq,
      );
    if (this.sets !== undefined)
      for (const set of [...this.sets.values()])
        this.incomplete(set, 'before the connection closed');
    this.closed = true;
    if (this.silenceTimer !== undefined) this.ctx.clock.clearTimeout(this.silenceTimer);
    this.silenceTimer = undefined;
    if (this.serverTimers !== undefined)
      for (const t of this.serverTimers.values()) this.ctx.clock.clearTimeout(t);
    this.serverTimers = undefined;
  }
}

/** 019 of a login (1 when absent or not a positive integer). */
function windowOf(frame: Frame): number {
  for (const p of frame.params)
    if (p.code === Param.WindowSize) {
      const n = Number(p.value);
      return Number.isInteger(n) && n >= 1 ? n : 1;
    }
  return 1;
}
