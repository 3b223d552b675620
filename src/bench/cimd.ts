/**
 * The CIMD2 side of the load generator: a pre-built submit template whose packet number and
 * checksum are patched per request (docs/protocol.md#framing, #checksum, #packet-numbers), and responses read with the
 * protocol's {@link FrameDecoder}.
 */
import { checksum } from '../protocol/checksum.js';
import { FrameDecoder } from '../protocol/decoder.js';
import { encodeFrame } from '../protocol/encoder.js';
import { getParam, type Parameter } from '../protocol/frame.js';
import { Op } from '../protocol/operations.js';
import { Param } from '../protocol/parameters.js';
import { encodeUserData } from '../protocol/user-data.js';
import type { LoadCodec, LoadProtocol, ResponseSink } from './protocol.js';

/** Options of {@link cimdProtocol}. */
export interface CimdLoadOptions {
  /** Destination address (021) of every submit. Default `+358401234567`. */
  readonly destination?: string;
  /** Message text; must fit one SMS (GSM 7-bit when it can, else UCS2). Default `Hello from cimd2-mock bench`. */
  readonly text?: string;
  /** Append checksums, as Kannel does (default true). */
  readonly checksum?: boolean;
}

const HEX = '0123456789ABCDEF';
const DIGIT0 = 0x30;
const PN_AT = 4;

/** A pre-encoded frame whose packet number (and checksum) can be rewritten in place. */
class Template {
  readonly bytes: Buffer;
  private readonly baseSum: number;
  private readonly checksumAt: number;

  constructor(op: number, params: readonly Parameter[], withChecksum: boolean) {
    this.bytes = encodeFrame({ op, pn: 0, params }, { checksum: withChecksum });
    this.checksumAt = withChecksum ? this.bytes.length - 3 : -1;
    // pn 000 is in the template, so the sum without the packet number is the sum minus 3 × '0'.
    this.baseSum = withChecksum ? checksum(this.bytes, 0, this.checksumAt) - 3 * DIGIT0 : 0;
  }

  get length(): number {
    return this.bytes.length;
  }

  writeTo(out: Buffer, at: number, pn: number): void {
    this.bytes.copy(out, at);
    const d0 = Math.floor(pn / 100);
    const d1 = Math.floor(pn / 10) % 10;
    const d2 = pn % 10;
    out[at + PN_AT] = DIGIT0 + d0;
    out[at + PN_AT + 1] = DIGIT0 + d1;
    out[at + PN_AT + 2] = DIGIT0 + d2;
    if (this.checksumAt >= 0) {
      const sum = (this.baseSum + 3 * DIGIT0 + d0 + d1 + d2) & 0xff;
      out[at + this.checksumAt] = HEX.charCodeAt(sum >> 4);
      out[at + this.checksumAt + 1] = HEX.charCodeAt(sum & 0x0f);
    }
  }
}

function errorLabel(op: number, code: string | undefined): string | undefined {
  if (op === Op.Nack) return 'nack';
  if (op === Op.GeneralError) return `98:${code ?? '?'}`;
  if (code !== undefined && code !== '0' && code !== '000') return `${op}:${code}`;
  return undefined;
}

class CimdCodec implements LoadCodec {
  private readonly decoder = new FrameDecoder();
  private readonly submit: Template;
  private readonly loginParams: Parameter[];
  private readonly withChecksum: boolean;
  private pn = 1;

  constructor(submit: Template, loginParams: Parameter[], withChecksum: boolean) {
    this.submit = submit;
    this.loginParams = loginParams;
    this.withChecksum = withChecksum;
    this.submitLength = submit.length;
  }

  readonly submitLength: number;

  login(id: number): Uint8Array {
    return encodeFrame(
      { op: Op.Login, pn: id, params: this.loginParams },
      { checksum: this.withChecksum },
    );
  }

  writeSubmit(out: Buffer, at: number, id: number): void {
    this.submit.writeTo(out, at, id);
  }

  nextId(busy: (id: number) => boolean): number {
    // Client packet numbers are odd, 001…255, wrapping (docs/protocol.md#packet-numbers).
    for (let tries = 0; tries < 128; tries++) {
      const pn = this.pn;
      this.pn = pn >= 255 ? 1 : pn + 2;
      if (!busy(pn)) return pn;
    }
    throw new Error('no free packet number (window above 128?)');
  }

  read(chunk: Buffer, sink: ResponseSink): void {
    for (const r of this.decoder.push(chunk)) {
      if (!r.ok) {
        sink.malformed();
        continue;
      }
      const { op, pn } = r.frame;
      if (op >= 50) {
        sink.response(pn, errorLabel(op, getParam(r.frame, Param.ErrorCode)));
      } else {
        sink.reply(encodeFrame({ op: op + 50, pn, params: [] }, { checksum: this.withChecksum }));
      }
    }
  }
}

/**
 * CIMD2 for the load generator: login (01, with 019 window size when the window is above 1)
 * and submits (03) of one fixed message, answered by 51/53 (positive unless 900 is present and
 * non-zero), 98 or 99. Deliver messages, status reports and alives from the server are
 * acknowledged (op + 50, same packet number).
 *
 * @throws EncodingError when the text does not fit one SMS.
 */
export function cimdProtocol(options: CimdLoadOptions = {}): LoadProtocol {
  const withChecksum = options.checksum ?? true;
  const ud = encodeUserData({ text: options.text ?? 'Hello from cimd2-mock bench' });
  const params: Parameter[] = [
    { code: Param.DestinationAddress, value: options.destination ?? '+358401234567' },
  ];
  if (ud.userData !== undefined) params.push({ code: Param.UserData, value: ud.userData });
  if (ud.userDataBinary !== undefined)
    params.push({ code: Param.UserDataBinary, value: ud.userDataBinary });
  if (ud.dcs !== undefined) params.push({ code: Param.DataCodingScheme, value: String(ud.dcs) });
  const submit = new Template(Op.Submit, params, withChecksum);
  return {
    name: 'cimd2',
    maxWindow: 128,
    connection: ({ user, password, window }) => {
      const login: Parameter[] = [
        { code: Param.UserIdentity, value: user },
        { code: Param.Password, value: password },
      ];
      if (window > 1) login.push({ code: Param.WindowSize, value: String(window) });
      return new CimdCodec(submit, login, withChecksum);
    },
  };
}

/** The submit frame {@link cimdProtocol} sends, with packet number `pn` (for tests and docs). */
export function cimdSubmitFrame(options: CimdLoadOptions, pn: number): Buffer {
  const codec = cimdProtocol(options).connection({ user: 'u', password: 'p', window: 1 });
  const out = Buffer.alloc(codec.submitLength);
  codec.writeSubmit(out, 0, pn);
  return out;
}
