/** encodeRawFrame, looseParameters, checksumTrailer, buildDeliverParts and TEXT_ENCODINGS. */
import { expect } from 'chai';
import { checksumTrailer } from '../../../src/protocol/checksum.js';
import { buildDeliverParts } from '../../../src/protocol/deliver-parts.js';
import { TEXT_ENCODINGS, isTextEncoding } from '../../../src/protocol/encodings.js';
import { encodeFrame, encodeRawFrame, looseParameters } from '../../../src/protocol/encoder.js';

describe('encodeRawFrame / looseParameters / checksumTrailer', () => {
  it('frames a parameter section exactly like encodeFrame when it is well-formed', () => {
    const body = Buffer.from('021:123\t033:hi\t', 'latin1');
    const params = looseParameters(body);
    expect(params).to.deep.equal([
      { code: 21, value: '123' },
      { code: 33, value: 'hi' },
    ]);
    expect(encodeRawFrame(20, 4, body)).to.deep.equal(encodeFrame({ op: 20, pn: 4, params }));
    expect(encodeRawFrame(20, 4, body, { checksum: false })).to.deep.equal(
      encodeFrame({ op: 20, pn: 4, params }, { checksum: false }),
    );
  });

  it('keeps bytes encodeFrame refuses, and the trailer state tells valid, absent, invalid', () => {
    const raw = encodeRawFrame(20, 4, Buffer.from([0x30, 0x02, 0x09]));
    expect([...raw.subarray(8, 11)]).to.deep.equal([0x30, 0x02, 0x09]);
    expect(checksumTrailer(raw)).to.equal('valid');
    expect(checksumTrailer(encodeRawFrame(20, 4, Buffer.alloc(0), { checksum: false }))).to.equal(
      'absent',
    );
    const bad = Buffer.from(raw);
    bad[bad.length - 2] = 0x30 + ((bad[bad.length - 2]! - 0x30 + 1) % 10);
    expect(checksumTrailer(bad)).to.equal('invalid');
  });
});

describe('buildDeliverParts', () => {
  it('one part: 021, 023, 060, then the user data', () => {
    const parts = buildDeliverParts(
      { destination: '12345', originator: '+358401', text: 'hi' },
      { timestamp: '260101000000', reference: 1 },
    );
    expect(parts).to.deep.equal([
      [
        { code: 21, value: '12345' },
        { code: 23, value: '+358401' },
        { code: 60, value: '260101000000' },
        { code: 33, value: 'hi' },
      ],
    ]);
  });

  it('alphanumeric originator as 027; long text split with the given reference', () => {
    const parts = buildDeliverParts(
      { destination: '1', originator: 'Shop', text: 'x'.repeat(200), options: { zeroSms: true } },
      { timestamp: '260101000000', reference: 7 },
    );
    expect(parts).to.have.length(2);
    expect(parts[0]?.[1]).to.deep.equal({ code: 27, value: 'Shop' });
    expect(parts.map((p) => p.find((x) => x.code === 32)?.value)).to.deep.equal([
      '050003070201',
      '050003070202',
    ]);
    expect(parts[1]?.find((x) => x.code === 52)).to.deep.equal({ code: 52, value: '64' });
  });
});

describe('TEXT_ENCODINGS', () => {
  it('lists the seven encodings once', () => {
    expect(TEXT_ENCODINGS).to.have.length(7);
    expect(new Set(TEXT_ENCODINGS).size).to.equal(7);
    expect(isTextEncoding('iso-8859-5')).to.equal(true);
    expect(isTextEncoding('utf8')).to.equal(false);
  });
});
