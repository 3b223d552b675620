/**
 * The fast paths of the text codec read exactly as the straightforward implementations they
 * replaced. The references below are those implementations (docs/protocol.md#033-or-034, #raw-bytes-kannel-reads-differently), kept
 * here as the oracle.
 */
import { expect } from 'chai';
import fc from 'fast-check';
import {
  CIMD_COMBINATIONS,
  decodeCimdText,
  type CimdTextDecodeOptions,
} from '../../../src/protocol/charset/cimd-text.js';
import {
  GSM7_ESCAPE,
  gsm7DefaultChar,
  gsm7ExtensionChar,
  textFromGsm7Codes,
  unpackSeptets,
} from '../../../src/protocol/charset/gsm7.js';
import { decodeDcs } from '../../../src/protocol/dcs.js';
import { parseUdh } from '../../../src/protocol/udh.js';
import {
  decodeIso,
  decodeUcs2,
  decodeUserData,
  UserDataError,
  WAP_PUSH_DCS,
  type DecodeUserDataOptions,
  type DecodedUserData,
  type TextEncoding,
  type UserDataParams,
} from '../../../src/protocol/user-data.js';

const SEED = 7;
const RUNS = 2000;

// ---- reference: 033 → text, one token per byte or combination (Kannel 1.4.5's reading) ----

const REF_REMAP: Readonly<Record<number, number>> = {
  0x40: 0x00,
  0x24: 0x02,
  0x5d: 0x0e,
  0x7d: 0x0f,
};
const refCombination = new Map<string, number>(
  CIMD_COMBINATIONS.map((c) => [c.combination, c.code]),
);

function referenceDecodeCimdText(value: string, options: CimdTextDecodeOptions = {}): string {
  const highBytes = options.highBytes ?? 'latin1';
  const tokens: (number | string)[] = [];
  for (let pos = 0; pos < value.length; pos++) {
    const c = value.charCodeAt(pos);
    if (c === 0x5f && pos + 2 < value.length) {
      const code = refCombination.get(value.slice(pos, pos + 3));
      if (code !== undefined) {
        tokens.push(code);
        pos += 2;
      } else tokens.push(0x5f);
      continue;
    }
    if (c >= 0x80) {
      if (highBytes === 'latin1') tokens.push(String.fromCharCode(c & 0xff));
      continue;
    }
    tokens.push(REF_REMAP[c] ?? c);
  }
  let out = '';
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i] ?? '';
    if (typeof t === 'string') out += t;
    else if (t !== GSM7_ESCAPE) out += gsm7DefaultChar(t);
    else {
      const next = tokens[i + 1];
      if (typeof next !== 'number' || next === GSM7_ESCAPE) out += ' ';
      else {
        out += gsm7ExtensionChar(next) ?? gsm7DefaultChar(next);
        i++;
      }
    }
  }
  return out;
}

// ---- reference: the user-data parameters → DecodedUserData, built with spreads ----

function refHex(hex: string, what: string): Buffer {
  if (hex.length % 2 !== 0) {
    throw new UserDataError(`${what} has an odd number of hex digits (${hex.length})`, 302);
  }
  if (!/^[0-9A-Fa-f]*$/.test(hex)) {
    throw new UserDataError(`${what} contains a character that is not a hex digit`, 302);
  }
  return Buffer.from(hex, 'hex');
}

function refUnpackJcimd(bytes: Buffer): string {
  const codes = unpackSeptets(bytes);
  const last = codes[codes.length - 1];
  if (codes.length > 0 && codes.length % 8 === 0 && (last === 0x00 || last === 0x0d)) {
    if (codes[codes.length - 2] !== GSM7_ESCAPE) codes.pop();
  }
  return textFromGsm7Codes(codes);
}

function referenceDecodeUserData(
  input: UserDataParams,
  options: DecodeUserDataOptions = {},
): DecodedUserData {
  if (input.userData !== undefined && input.userDataBinary !== undefined) {
    throw new UserDataError('user data (033) and user data binary (034) are both present', 303);
  }
  const dcs = input.dcs ?? 0;
  let dcsInfo;
  try {
    dcsInfo = decodeDcs(dcs);
  } catch (cause) {
    throw new UserDataError(`data coding scheme ${dcs} is not 0-255`, 304, { cause });
  }
  let udhPart = {};
  if (input.udh !== undefined) {
    const udh = refHex(input.udh, 'user data header (032)');
    try {
      udhPart = { udh, udhInfo: parseUdh(udh) };
    } catch (cause) {
      const reason = cause instanceof Error ? cause.message : String(cause);
      throw new UserDataError(`user data header (032) is malformed: ${reason}`, 302, { cause });
    }
  }
  const common = { dcs, dcsInfo, ...udhPart };
  if (input.userData !== undefined) {
    const text = referenceDecodeCimdText(
      input.userData,
      options.highBytes !== undefined ? { highBytes: options.highBytes } : {},
    );
    return { ...common, encoding: 'gsm7', text };
  }
  let encoding: TextEncoding;
  if (dcs === WAP_PUSH_DCS) encoding = 'wap-push';
  else if (dcsInfo.compressed) encoding = 'binary';
  else if (dcsInfo.alphabet === '8bit') encoding = options.eightBitCharset ?? 'binary';
  else if (dcsInfo.alphabet === 'reserved') encoding = 'binary';
  else encoding = dcsInfo.alphabet;
  if (input.userDataBinary === undefined) return { ...common, encoding };
  const bytes = refHex(input.userDataBinary, 'user data binary (034)');
  switch (encoding) {
    case 'gsm7':
      return { ...common, encoding, bytes, text: refUnpackJcimd(bytes) };
    case 'ucs2':
      if (bytes.length % 2 !== 0) {
        throw new UserDataError(
          `user data binary (034) has ${bytes.length} octets: UCS2 needs an even number`,
          302,
        );
      }
      return { ...common, encoding, bytes, text: decodeUcs2(bytes) };
    case 'iso-8859-1':
    case 'iso-8859-5':
    case 'iso-8859-8':
      return { ...common, encoding, bytes, text: decodeIso(bytes, encoding) };
    case 'binary':
    case 'wap-push':
      return { ...common, encoding, bytes };
  }
}

// ---- inputs biased towards what the tables treat specially ----

const specialChars = [
  '_',
  '@',
  '$',
  ']',
  '}',
  '[',
  '\\',
  '^',
  '`',
  '{',
  '|',
  '~',
  '"',
  '\x1b',
  '\x00',
  '\n',
  '\r',
  '\x7f',
  'é',
  'ÿ',
  '\x80',
];
const cimdCharArb = fc.oneof(
  { weight: 6, arbitrary: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)) },
  { weight: 3, arbitrary: fc.constantFrom(...specialChars) },
  { weight: 3, arbitrary: fc.constantFrom(...CIMD_COMBINATIONS.map((c) => c.combination)) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 0xff }).map((c) => String.fromCharCode(c)) },
);
const cimdValueArb = fc.array(cimdCharArb, { maxLength: 40 }).map((a) => a.join(''));
const optionsArb = fc.constantFrom<CimdTextDecodeOptions>(
  {},
  { highBytes: 'latin1' },
  { highBytes: 'drop' },
);

describe('decodeCimdText fast path', () => {
  it('returns plain ASCII text as it is', () => {
    expect(decodeCimdText('Hello from cimd2-mock bench 123.')).to.equal(
      'Hello from cimd2-mock bench 123.',
    );
  });

  it('decodes from the first byte that needs the tables', () => {
    expect(decodeCimdText('Price 5_L- (_XXe) ok_')).to.equal('Price 5£ (€) ok§');
    expect(decodeCimdText('a@b$c]')).to.equal('a@b$cÅ');
  });

  it(`reads every value as the token-by-token reading does (fast-check seed ${SEED}, ${RUNS} runs)`, () => {
    fc.assert(
      fc.property(cimdValueArb, optionsArb, (value, options) => {
        expect(decodeCimdText(value, options)).to.equal(referenceDecodeCimdText(value, options));
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });
});

const hexArb = (max: number): fc.Arbitrary<string> =>
  fc.uint8Array({ maxLength: max }).map((b) => Buffer.from(b).toString('hex'));
const udhArb = fc.oneof(
  fc.constantFrom('050003A70201', '0500030A0302', '060804F4210201', '0003', 'ZZ', '050003'),
  hexArb(8),
);
const userDataArb: fc.Arbitrary<UserDataParams> = fc.record(
  {
    dcs: fc.oneof(
      fc.constantFrom(0, 4, 8, 0x10, 0x20, 0xf5, 0xf4, 0xc0, 0xe0, 0x80, 256, -1, 1.5),
      fc.integer({ min: 0, max: 255 }),
    ),
    udh: udhArb,
    userData: cimdValueArb,
    userDataBinary: fc.oneof(hexArb(24), fc.constantFrom('ABC', 'GG', '')),
  },
  { requiredKeys: [] },
);
const udOptionsArb = fc.record(
  {
    eightBitCharset: fc.constantFrom('binary', 'iso-8859-1', 'iso-8859-5', 'iso-8859-8'),
    highBytes: fc.constantFrom('latin1', 'drop'),
  },
  { requiredKeys: [] },
) as fc.Arbitrary<DecodeUserDataOptions>;

type Outcome = { ok: true; keys: string[]; value: DecodedUserData } | { ok: false; error: string };

function outcome(f: () => DecodedUserData): Outcome {
  try {
    const value = f();
    return { ok: true, keys: Object.keys(value), value };
  } catch (error) {
    const e = error as UserDataError;
    return { ok: false, error: `${e.name} ${e.cimdErrorCode} ${e.message}` };
  }
}

describe('decodeUserData without spreads', () => {
  it('gives the plain 033 text with DCS 0', () => {
    expect(decodeUserData({ userData: 'Hello' })).to.deep.equal({
      dcs: 0,
      dcsInfo: { group: 'general', alphabet: 'gsm7', compressed: false },
      encoding: 'gsm7',
      text: 'Hello',
    });
  });

  it(`gives the same members in the same order, or the same error, as before (fast-check seed ${SEED}, ${RUNS} runs)`, () => {
    fc.assert(
      fc.property(userDataArb, udOptionsArb, (input, options) => {
        const actual = outcome(() => decodeUserData(input, options));
        const expected = outcome(() => referenceDecodeUserData(input, options));
        expect(actual).to.deep.equal(expected);
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });
});
