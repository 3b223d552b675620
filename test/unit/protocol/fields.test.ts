/** protocol/fields.ts: one decode per frame, two views (transcript fields, request fields). */
import { expect } from 'chai';
import fc from 'fast-check';
import { FrameDecode, decodeRequest, frameFields } from '../../../src/protocol/fields.js';
import type { DecodedRequest, RequestFields } from '../../../src/protocol/fields.js';
import { getAllParams, getParam, type Frame } from '../../../src/protocol/frame.js';
import { Param } from '../../../src/protocol/parameters.js';
import { decodeUserData } from '../../../src/protocol/user-data.js';

const SEED = 23;
const RUNS = 2000;

function intParam(frame: Frame, code: number): number | undefined {
  const v = getParam(frame, code);
  if (v === undefined || v === '') return undefined;
  const n = Number(v);
  return Number.isInteger(n) ? n : undefined;
}

/** The request decode as the server did it before the merge (one getParam per member). The oracle. */
function referenceDecodeRequest(frame: Frame): DecodedRequest {
  const fields: { -readonly [K in keyof RequestFields]: RequestFields[K] } = {};
  const user = getParam(frame, Param.UserIdentity);
  if (user !== undefined) fields.user = user;
  const password = getParam(frame, Param.Password);
  if (password !== undefined) fields.password = password;
  const destinations = getAllParams(frame, Param.DestinationAddress);
  const first = destinations[0];
  if (first !== undefined) {
    fields.destination = first;
    fields.destinations = destinations;
  }
  const originator =
    getParam(frame, Param.OriginatingAddress) ??
    getParam(frame, Param.AlphanumericOriginatingAddress);
  if (originator !== undefined) fields.originator = originator;
  const timestamp = getParam(frame, Param.ServiceCentreTimeStamp);
  if (timestamp !== undefined) fields.timestamp = timestamp;
  const srr = intParam(frame, Param.StatusReportRequest);
  if (srr !== undefined) fields.statusReportRequest = srr;
  const ud = getParam(frame, Param.UserData);
  const udb = getParam(frame, Param.UserDataBinary);
  const udh = getParam(frame, Param.UserDataHeader);
  const dcsRaw = getParam(frame, Param.DataCodingScheme);
  if (ud === undefined && udb === undefined && udh === undefined && dcsRaw === undefined)
    return { fields };
  try {
    const input: { dcs?: number; udh?: string; userData?: string; userDataBinary?: string } = {};
    const dcs = intParam(frame, Param.DataCodingScheme);
    if (dcs !== undefined) input.dcs = dcs;
    if (udh !== undefined) input.udh = udh;
    if (ud !== undefined) input.userData = ud;
    if (udb !== undefined) input.userDataBinary = udb;
    const decoded = decodeUserData(input);
    fields.encoding = decoded.encoding;
    fields.dcs = decoded.dcs;
    if (decoded.text !== undefined) fields.text = decoded.text;
    if (decoded.bytes !== undefined) fields.binary = decoded.bytes.toString('hex').toUpperCase();
    if (decoded.udh !== undefined) fields.udh = decoded.udh.toString('hex').toUpperCase();
    fields.parts = decoded.udhInfo?.concat?.total ?? 1;
    return { fields, userData: decoded };
  } catch (error) {
    const code =
      typeof (error as { cimdErrorCode?: unknown }).cimdErrorCode === 'number'
        ? (error as { cimdErrorCode: number }).cimdErrorCode
        : 302;
    return { fields, userDataError: { code, message: (error as Error).message } };
  }
}

const valueFor = (code: number): fc.Arbitrary<string> => {
  switch (code) {
    case 30:
      // '08' and ' 8' read alike for the request, not for the transcript; '' for neither.
      return fc.constantFrom('0', '4', '8', '08', ' 8', '', '245', '300', 'x', '16', '-1', '1e1');
    case 32:
      return fc.constantFrom('050003A70201', '050003A70202', '0003', 'Z1', '');
    case 34:
      return fc.constantFrom('48656C6C6F', '00480069', 'ABC', '', 'C8329BFD06');
    case 56:
      return fc.constantFrom('0', '1', '14', '', 'x', '3.5');
    default:
      return fc.string({ maxLength: 12 });
  }
};
const codeArb = fc.constantFrom(10, 11, 21, 23, 27, 30, 32, 33, 34, 56, 60, 61, 63, 900, 901);
const paramArb = codeArb.chain((code) => valueFor(code).map((value) => ({ code, value })));
const frameArb: fc.Arbitrary<Frame> = fc
  .array(paramArb, { maxLength: 8 })
  .map((params) => ({ op: 3, pn: 1, params }));

/** Comparable form: key order included, Buffers as hex. */
function plain(d: DecodedRequest): string {
  return JSON.stringify(d, (_k, v: unknown) =>
    Buffer.isBuffer(v) ? v.toString('hex') : (v as object),
  );
}

describe('protocol/fields (one decode per frame)', () => {
  it(`request fields equal the former per-member decode (fast-check seed ${SEED}, ${RUNS} runs)`, () => {
    fc.assert(
      fc.property(frameArb, (frame) => {
        expect(plain(decodeRequest(frame))).to.equal(plain(referenceDecodeRequest(frame)));
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });

  it('gives the same views whichever is asked first, and builds each once', () => {
    fc.assert(
      fc.property(frameArb, (frame) => {
        const a = new FrameDecode(frame);
        const b = new FrameDecode(frame);
        const fieldsFirst = [JSON.stringify(a.fields), plain(a.request)];
        const requestFirst = [plain(b.request), JSON.stringify(b.fields)];
        expect(fieldsFirst).to.deep.equal([requestFirst[1], requestFirst[0]]);
        expect(a.fields).to.equal(a.fields);
        expect(a.request).to.equal(a.request);
        expect(JSON.stringify(a.fields)).to.equal(JSON.stringify(frameFields(frame)));
      }),
      { seed: SEED + 1, numRuns: 500 },
    );
  });

  it('decodes a concatenated UCS2 submit for both views', () => {
    const d = new FrameDecode({
      op: 3,
      pn: 7,
      params: [
        { code: 21, value: '+358401234567' },
        { code: 30, value: '8' },
        { code: 32, value: '050003A70201' },
        { code: 34, value: '00480069' },
      ],
    });
    expect(d.fields).to.deep.equal({
      destination: '+358401234567',
      text: 'Hi',
      encoding: 'ucs2',
      dcs: 8,
      udh: '050003A70201',
      parts: 2,
      part: 1,
      reference: 0xa7,
    });
    expect(d.request.fields).to.include({ text: 'Hi', encoding: 'ucs2', dcs: 8, parts: 2 });
    expect(d.request.userData?.udhInfo?.concat).to.include({ ref: 0xa7, total: 2, seq: 1 });
  });

  it('reads a 030 the two views read differently once each: userDataError for the transcript, a decode for the request', () => {
    const d = new FrameDecode({
      op: 3,
      pn: 1,
      params: [
        { code: 30, value: '08' },
        { code: 34, value: '0048' },
      ],
    });
    expect(d.fields).to.deep.equal({ dcs: 8, encoding: 'ucs2', text: 'H' });
    const odd = new FrameDecode({
      op: 3,
      pn: 1,
      params: [
        { code: 30, value: ' 8' },
        { code: 34, value: '0048' },
      ],
    });
    expect(odd.fields).to.deep.equal({
      userDataError: 'data coding scheme (030) " 8" is not an integer',
    });
    expect(odd.request.fields).to.include({ dcs: 8, encoding: 'ucs2', text: 'H' });
  });

  it('turns user data that does not decode into the error code the 53 carries', () => {
    const d = new FrameDecode({ op: 3, pn: 1, params: [{ code: 34, value: 'ABC' }] });
    expect(d.request.userDataError?.code).to.equal(302);
    expect(d.request.userDataError?.message).to.match(/odd number of hex digits/);
    expect(d.fields.userDataError).to.equal(d.request.userDataError?.message);
  });
});
