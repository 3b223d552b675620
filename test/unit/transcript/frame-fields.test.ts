import { expect } from 'chai';
import fc from 'fast-check';
import type { Frame } from '../../../src/protocol/frame.js';
import { statusName } from '../../../src/protocol/status-codes.js';
import { decodeUserData, type UserDataParams } from '../../../src/protocol/user-data.js';
import { frameFields } from '../../../src/transcript/frame-fields.js';
import type { FrameFields } from '../../../src/transcript/record.js';

const SEED = 11;
const RUNS = 2000;

const ORDER: readonly (keyof FrameFields)[] = [
  'user',
  'destination',
  'destinations',
  'originator',
  'text',
  'binary',
  'encoding',
  'dcs',
  'udh',
  'parts',
  'part',
  'reference',
  'userDataError',
  'timestamp',
  'dischargeTime',
  'statusCode',
  'statusName',
  'statusErrorCode',
  'errorCode',
  'errorText',
];

/** The first, straightforward implementation: collect by name, then reorder. The oracle. */
function referenceFrameFields(frame: Frame): FrameFields {
  const f: Record<string, unknown> = {};
  const int = (v: string): number | undefined => (/^-?\d{1,9}$/.test(v) ? Number(v) : undefined);
  const first: Record<number, string> = {};
  const destinations: string[] = [];
  for (const { code, value } of frame.params) {
    if (code === 21) destinations.push(value);
    else if ([61, 62, 900].includes(code)) {
      const n = int(value);
      const key = code === 61 ? 'statusCode' : code === 62 ? 'statusErrorCode' : 'errorCode';
      if (n !== undefined && f[key] === undefined) {
        f[key] = n;
        if (code === 61) f['statusName'] = statusName(n);
      }
    } else first[code] ??= value;
  }
  if (first[10] !== undefined) f['user'] = first[10];
  if (destinations.length > 0) {
    f['destination'] = destinations[0];
    if (destinations.length > 1) f['destinations'] = destinations;
  }
  const orig = first[23] ?? first[27];
  if (orig !== undefined) f['originator'] = orig;
  if (first[60] !== undefined) f['timestamp'] = first[60];
  if (first[63] !== undefined) f['dischargeTime'] = first[63];
  if (first[901] !== undefined) f['errorText'] = first[901];
  const [dcsRaw, udh, ud, udb] = [first[30], first[32], first[33], first[34]];
  if (dcsRaw !== undefined || udh !== undefined || ud !== undefined || udb !== undefined) {
    const input: { -readonly [K in keyof UserDataParams]: UserDataParams[K] } = {};
    let ok = true;
    if (dcsRaw !== undefined) {
      const dcs = int(dcsRaw);
      if (dcs === undefined) {
        f['userDataError'] = `data coding scheme (030) ${JSON.stringify(dcsRaw)} is not an integer`;
        ok = false;
      } else input.dcs = dcs;
    }
    if (udh !== undefined) input.udh = udh;
    if (ud !== undefined) input.userData = ud;
    if (udb !== undefined) input.userDataBinary = udb;
    if (ok) {
      try {
        const d = decodeUserData(input);
        f['encoding'] = d.encoding;
        f['dcs'] = d.dcs;
        if (d.text !== undefined) f['text'] = d.text;
        else if (d.bytes !== undefined) f['binary'] = d.bytes.toString('hex').toUpperCase();
        if (d.udh !== undefined) f['udh'] = d.udh.toString('hex').toUpperCase();
        const concat = d.udhInfo?.concat;
        if (concat !== undefined) {
          f['parts'] = concat.total;
          f['part'] = concat.seq;
          f['reference'] = concat.ref;
        }
      } catch (error) {
        f['userDataError'] = (error as Error).message;
      }
    }
  }
  const out: Record<string, unknown> = {};
  for (const key of ORDER) if (f[key] !== undefined) out[key] = f[key];
  return out;
}

const valueFor = (code: number): fc.Arbitrary<string> => {
  switch (code) {
    case 30:
      return fc.constantFrom('0', '4', '8', '245', '300', 'x', '16', '-1');
    case 32:
      return fc.constantFrom('050003A70201', '050003A70202', '0003', 'Z1', '');
    case 34:
      return fc.constantFrom('48656C6C6F', '00480069', 'ABC', '', 'C8329BFD06');
    case 61:
    case 62:
    case 900:
      return fc.constantFrom('0', '4', '7', '300', 'x', '-3', '1234567890');
    default:
      return fc.string({ maxLength: 12 });
  }
};
const codeArb = fc.constantFrom(10, 11, 21, 23, 27, 30, 32, 33, 34, 56, 60, 61, 62, 63, 900, 901);
const paramArb = codeArb.chain((code) => valueFor(code).map((value) => ({ code, value })));
const frameArb: fc.Arbitrary<Frame> = fc
  .array(paramArb, { maxLength: 8 })
  .map((params) => ({ op: 3, pn: 1, params }));

describe('frameFields', () => {
  it('names the fields of a submit in the documented order, whatever the parameter order', () => {
    const frame: Frame = {
      op: 3,
      pn: 5,
      params: [
        { code: 33, value: 'Hi _Oa' },
        { code: 23, value: '+111' },
        { code: 21, value: '+222' },
        { code: 21, value: '+333' },
        { code: 10, value: 'shop' },
      ],
    };
    expect(JSON.stringify(frameFields(frame))).to.equal(
      '{"user":"shop","destination":"+222","destinations":["+222","+333"],"originator":"+111","text":"Hi @","encoding":"gsm7","dcs":0}',
    );
  });

  it('takes the first well-formed status code and names it', () => {
    const frame: Frame = {
      op: 23,
      pn: 2,
      params: [
        { code: 61, value: 'x' },
        { code: 61, value: '4' },
        { code: 61, value: '3' },
        { code: 62, value: '7' },
      ],
    };
    expect(frameFields(frame)).to.deep.equal({
      statusCode: 4,
      statusName: statusName(4),
      statusErrorCode: 7,
    });
  });

  it(`gives the same members in the same order as the straightforward implementation (fast-check seed ${SEED}, ${RUNS} runs)`, () => {
    fc.assert(
      fc.property(frameArb, (frame) => {
        expect(JSON.stringify(frameFields(frame))).to.equal(
          JSON.stringify(referenceFrameFields(frame)),
        );
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });
});
