import { expect } from 'chai';
import { EncodingError } from '../../../src/errors.js';
import { UserDataError, decodeUserData, encodeUserData } from '../../../src/protocol/user-data.js';
import type { UserDataParams } from '../../../src/protocol/user-data.js';

/**
 * The user-data parameters (030/032/033/034) of the golden Kannel 1.4.5 frames in
 * test/fixtures/kannel-frames.jsonl, with the `content` each record lists.
 */
const GOLDEN: readonly {
  readonly name: string;
  readonly params: UserDataParams;
  readonly encoding: string;
  readonly text?: string;
  readonly bytesHex?: string;
  readonly udh?:
    | { kind: 'concat'; ref: number; total: number; seq: number }
    | { kind: 'ports'; dst: number; src: number };
}[] = [
  {
    name: 'submit/a-gsm-plain',
    params: { userData: 'Hello from Kannel e2e case a' },
    encoding: 'gsm7',
    text: 'Hello from Kannel e2e case a',
  },
  {
    name: 'submit/b-gsm-special-chars',
    params: { userData: 'H_a"llo _Oa _L-5 _XX(x_XX) _XXe' },
    encoding: 'gsm7',
    text: 'Hällo @ £5 {x} €',
  },
  {
    name: 'submit/c-ucs2',
    params: {
      dcs: 8,
      userDataBinary: '041F04400438043204350442002C0020043C04380440002100204F60597D',
    },
    encoding: 'ucs2',
    text: 'Привет, мир! 你好',
  },
  {
    name: 'submit/d-long-concatenated/part1',
    params: {
      udh: '050003030201',
      userData:
        'The quick brown fox jumps over the lazy dog The quick brown fox jumps over the lazy dog The quick brown fox jumps over the lazy dog The quick brown fox j',
    },
    encoding: 'gsm7',
    text: 'The quick brown fox jumps over the lazy dog The quick brown fox jumps over the lazy dog The quick brown fox jumps over the lazy dog The quick brown fox j',
    udh: { kind: 'concat', ref: 3, total: 2, seq: 1 },
  },
  {
    name: 'submit/d-long-concatenated/part2',
    params: {
      udh: '050003030202',
      userData:
        'umps over the lazy dog The quick brown fox jumps over the lazy dog The quick brown fox jumps over the lazy dog The quick brown fox jumps over the l',
    },
    encoding: 'gsm7',
    text: 'umps over the lazy dog The quick brown fox jumps over the lazy dog The quick brown fox jumps over the lazy dog The quick brown fox jumps over the l',
    udh: { kind: 'concat', ref: 3, total: 2, seq: 2 },
  },
  {
    name: 'submit/e-binary-udh',
    params: { udh: '0605040B8423F0', userDataBinary: '000102030405FEFF48656C6C6F', dcs: 4 },
    encoding: 'binary',
    bytesHex: '000102030405FEFF48656C6C6F',
    udh: { kind: 'ports', dst: 2948, src: 9200 },
  },
  {
    name: 'submit/f-alphanumeric-sender-validity',
    params: { userData: 'Alphanumeric sender case f' },
    encoding: 'gsm7',
    text: 'Alphanumeric sender case f',
  },
  {
    name: 'deliver mo-1-gsm7 (server request)',
    params: { userData: 'MO test _a"_o"_u" _XXe _XX(ok_XX) _Oa _L-' },
    encoding: 'gsm7',
    text: 'MO test äöü € {ok} @ £',
  },
  {
    name: 'deliver mo-2-ucs2 (server request)',
    params: { dcs: 8, userDataBinary: '041F044004380432043504420020004D004F' },
    encoding: 'ucs2',
    text: 'Привет MO',
  },
];

/** Independent LSB-first septet packer for the jCIMD form (bit strings, no shared code). */
function referencePackHex(codes: readonly number[]): string {
  let bits = '';
  for (const c of codes) bits += c.toString(2).padStart(7, '0').split('').reverse().join('');
  while (bits.length % 8 !== 0) bits += '0';
  let hex = '';
  for (let i = 0; i < bits.length; i += 8) {
    hex += parseInt(
      bits
        .slice(i, i + 8)
        .split('')
        .reverse()
        .join(''),
      2,
    )
      .toString(16)
      .padStart(2, '0');
  }
  return hex.toUpperCase();
}

function expectUserDataError(fn: () => unknown, cimdErrorCode: number): void {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  expect(caught).to.be.instanceOf(UserDataError);
  expect(caught).to.be.instanceOf(EncodingError);
  expect(caught).to.have.property('code', 'ERR_CIMD_ENCODING');
  expect(caught).to.have.property('cimdErrorCode', cimdErrorCode);
}

describe('user-data', () => {
  describe('decodeUserData on the golden Kannel frames', () => {
    for (const g of GOLDEN) {
      it(`decodes ${g.name}`, () => {
        const d = decodeUserData(g.params);
        expect(d.encoding).to.equal(g.encoding);
        expect(d.text).to.equal(g.text);
        expect(d.dcs).to.equal(g.params.dcs ?? 0);
        if (g.bytesHex !== undefined) {
          expect(d.bytes?.toString('hex').toUpperCase()).to.equal(g.bytesHex);
        }
        if (g.udh === undefined) {
          expect(d.udh).to.equal(undefined);
        } else if (g.udh.kind === 'concat') {
          expect(d.udh?.toString('hex').toUpperCase()).to.equal(g.params.udh);
          expect(d.udhInfo?.concat).to.deep.equal({
            ref: g.udh.ref,
            total: g.udh.total,
            seq: g.udh.seq,
            refBits: 8,
          });
        } else {
          expect(d.udhInfo?.ports).to.deep.equal({
            destination: g.udh.dst,
            source: g.udh.src,
            bits: 16,
          });
        }
      });
    }
  });

  describe('decodeUserData', () => {
    it('treats an absent DCS as 0 and reports its decoding', () => {
      const d = decodeUserData({ userData: 'x' });
      expect(d.dcs).to.equal(0);
      expect(d.dcsInfo).to.deep.equal({ group: 'general', alphabet: 'gsm7', compressed: false });
    });

    it('keeps a surrogate pair (emoji outside the BMP) in UCS2', () => {
      const d = decodeUserData({ dcs: 8, userDataBinary: '0048D83DDE000021' });
      expect(d.text).to.equal('H😀!');
    });

    it('keeps a lone surrogate so halves from two parts join back', () => {
      const a = decodeUserData({ dcs: 8, userDataBinary: '0041D83D' }).text ?? '';
      const b = decodeUserData({ dcs: 8, userDataBinary: 'DE00' }).text ?? '';
      expect(a + b).to.equal('A😀');
    });

    it('reads UCS2 under the class-carrying DCS 24-27 and MWI E0-EF', () => {
      expect(decodeUserData({ dcs: 25, userDataBinary: '0416' }).text).to.equal('Ж');
      expect(decodeUserData({ dcs: 0xe8, userDataBinary: '0416' }).text).to.equal('Ж');
    });

    it('gives 8-bit data as bytes unless an ISO charset is asked for', () => {
      const raw = decodeUserData({ dcs: 4, userDataBinary: 'bfe0d8d2d5e2' });
      expect(raw.encoding).to.equal('binary');
      expect(raw.text).to.equal(undefined);
      expect([...(raw.bytes ?? [])]).to.deep.equal([0xbf, 0xe0, 0xd8, 0xd2, 0xd5, 0xe2]);
      const iso = decodeUserData(
        { dcs: 4, userDataBinary: 'BFE0D8D2D5E2' },
        { eightBitCharset: 'iso-8859-5' },
      );
      expect(iso.encoding).to.equal('iso-8859-5');
      expect(iso.text).to.equal('Привет');
    });

    it('reads ISO-8859-1 and ISO-8859-8 octets', () => {
      expect(
        decodeUserData({ dcs: 4, userDataBinary: '4772FCDF65' }, { eightBitCharset: 'iso-8859-1' })
          .text,
      ).to.equal('Grüße');
      expect(
        decodeUserData({ dcs: 4, userDataBinary: 'F9ECE5ED' }, { eightBitCharset: 'iso-8859-8' })
          .text,
      ).to.equal('שלום');
    });

    it('gives DCS 0xF5 as wap-push bytes and other F4-F7 as binary', () => {
      expect(decodeUserData({ dcs: 0xf5, userDataBinary: '0106' }).encoding).to.equal('wap-push');
      expect(decodeUserData({ dcs: 0xf4, userDataBinary: '0106' }).encoding).to.equal('binary');
    });

    it('gives a reserved alphabet or compressed data as binary', () => {
      expect(decodeUserData({ dcs: 0x0c, userDataBinary: '01' }).encoding).to.equal('binary');
      expect(decodeUserData({ dcs: 0x80, userDataBinary: '01' }).encoding).to.equal('binary');
      expect(decodeUserData({ dcs: 0x28, userDataBinary: '01' }).encoding).to.equal('binary');
    });

    it('unpacks GSM septets in 034 with a 7-bit DCS (jCIMD form)', () => {
      expect(decodeUserData({ userDataBinary: 'D4F29C0E' }).text).to.equal('Test');
      expect(decodeUserData({ dcs: 0xf1, userDataBinary: 'E8329BFD4697D9EC37' }).text).to.equal(
        'hellohello',
      );
      // "{x}" = 1B 28 78 1B 29: extension characters survive packing
      expect(
        decodeUserData({ userDataBinary: referencePackHex([0x1b, 0x28, 0x78, 0x1b, 0x29]) }).text,
      ).to.equal('{x}');
    });

    it('takes a final @ or CR filling an octet boundary as padding', () => {
      const seven = [0x41, 0x42, 0x43, 0x44, 0x45, 0x46, 0x47];
      expect(decodeUserData({ userDataBinary: referencePackHex(seven) }).text).to.equal('ABCDEFG');
      expect(decodeUserData({ userDataBinary: referencePackHex([...seven, 0x0d]) }).text).to.equal(
        'ABCDEFG',
      );
      expect(decodeUserData({ userDataBinary: referencePackHex([...seven, 0x48]) }).text).to.equal(
        'ABCDEFGH',
      );
    });

    it('reads 033 bytes >= 0x80 as latin1 by default and drops them in Kannel mode', () => {
      expect(decodeUserData({ userData: '\xA35' }).text).to.equal('£5');
      expect(decodeUserData({ userData: '\xA35' }, { highBytes: 'drop' }).text).to.equal('5');
    });

    it('gives the encoding and no payload when neither 033 nor 034 is present', () => {
      const d = decodeUserData({ dcs: 8, udh: '050003010201' });
      expect(d.encoding).to.equal('ucs2');
      expect(d.text).to.equal(undefined);
      expect(d.bytes).to.equal(undefined);
      expect(d.udhInfo?.concat?.seq).to.equal(1);
    });

    it('rejects 033 together with 034 with code 303', () => {
      expectUserDataError(() => decodeUserData({ userData: 'a', userDataBinary: '41' }), 303);
    });

    it('rejects bad hex, a bad UDH and odd UCS2 with code 302', () => {
      expectUserDataError(() => decodeUserData({ userDataBinary: '414' }), 302);
      expectUserDataError(() => decodeUserData({ userDataBinary: '4G' }), 302);
      expectUserDataError(() => decodeUserData({ udh: '0500030102', userData: 'a' }), 302);
      expectUserDataError(() => decodeUserData({ udh: '05000', userData: 'a' }), 302);
      expectUserDataError(() => decodeUserData({ dcs: 8, userDataBinary: '004100' }), 302);
    });

    it('rejects a DCS outside 0-255 with code 304', () => {
      expectUserDataError(() => decodeUserData({ dcs: 256, userData: 'a' }), 304);
    });
  });

  describe('encodeUserData', () => {
    it('writes GSM text as 033 without 030, as Kannel does', () => {
      expect(encodeUserData({ text: 'Hällo @ £5 {x} €' })).to.deep.equal({
        userData: 'H_a"llo _Oa _L-5 _XX(x_XX) _XXe',
      });
    });

    it('adds 030 for a message class or flash', () => {
      expect(encodeUserData({ text: 'hi', messageClass: 1 })).to.deep.equal({
        dcs: 17,
        userData: 'hi',
      });
      expect(encodeUserData({ text: 'hi', flash: true })).to.deep.equal({
        dcs: 16,
        userData: 'hi',
      });
      expect(() => encodeUserData({ text: 'hi', flash: true, messageClass: 2 })).to.throw(
        EncodingError,
      );
    });

    it('chooses UCS2 for non-GSM text and writes UTF-16BE with surrogate pairs', () => {
      expect(encodeUserData({ text: 'Привет, мир! 你好' })).to.deep.equal({
        dcs: 8,
        userDataBinary: '041F04400438043204350442002C0020043C04380440002100204F60597D',
      });
      expect(encodeUserData({ text: 'H😀!' })).to.deep.equal({
        dcs: 8,
        userDataBinary: '0048D83DDE000021',
      });
    });

    it('writes binary as 034 with DCS 4 and the UDH as uppercase hex, like Kannel submit e', () => {
      expect(
        encodeUserData({
          bytes: Buffer.from('000102030405feff48656c6c6f', 'hex'),
          udh: Buffer.from('0605040b8423f0', 'hex'),
        }),
      ).to.deep.equal({
        dcs: 4,
        udh: '0605040B8423F0',
        userDataBinary: '000102030405FEFF48656C6C6F',
      });
    });

    it('writes wap-push with DCS 0xF5 and classes into 20-27 for 8-bit and UCS2', () => {
      expect(encodeUserData({ bytes: Uint8Array.of(1, 6), encoding: 'wap-push' })).to.deep.equal({
        dcs: 0xf5,
        userDataBinary: '0106',
      });
      expect(encodeUserData({ bytes: Uint8Array.of(1), messageClass: 2 }).dcs).to.equal(22);
      expect(encodeUserData({ text: 'Ж', flash: true }).dcs).to.equal(24);
    });

    it('writes ISO charsets as 8-bit octets with DCS 4', () => {
      expect(encodeUserData({ text: 'Привет', encoding: 'iso-8859-5' })).to.deep.equal({
        dcs: 4,
        userDataBinary: 'BFE0D8D2D5E2',
      });
      expect(encodeUserData({ text: 'שלום', encoding: 'iso-8859-8' }).userDataBinary).to.equal(
        'F9ECE5ED',
      );
      expect(encodeUserData({ text: 'Grüße', encoding: 'iso-8859-1' }).userDataBinary).to.equal(
        '4772FCDF65',
      );
      expect(() => encodeUserData({ text: 'Привет', encoding: 'iso-8859-1' })).to.throw(
        EncodingError,
        /U\+041F at index 0 is not in iso-8859-1/,
      );
    });

    it('round-trips ISO-8859-1/-5/-8 text through 034', () => {
      const cases = [
        ['iso-8859-1', 'Åbo, Grüße, ¿qué? ©'],
        ['iso-8859-5', 'Съешь же ещё этих мягких булок №1'],
        ['iso-8859-8', 'שלום עולם 123'],
      ] as const;
      for (const [charset, text] of cases) {
        const enc = encodeUserData({ text, encoding: charset });
        const dec = decodeUserData(
          {
            ...(enc.dcs !== undefined ? { dcs: enc.dcs } : {}),
            ...(enc.userDataBinary !== undefined ? { userDataBinary: enc.userDataBinary } : {}),
          },
          { eightBitCharset: charset },
        );
        expect(dec.text, charset).to.equal(text);
        expect(dec.encoding).to.equal(charset);
      }
    });

    it('accepts exactly one message and rejects more', () => {
      expect(encodeUserData({ text: 'a'.repeat(160) }).userData).to.have.length(160);
      expect(() => encodeUserData({ text: 'a'.repeat(161) })).to.throw(EncodingError);
      expect(() => encodeUserData({ text: '€'.repeat(80) + 'a' })).to.throw(EncodingError);
      const udh = Buffer.from('050003010201', 'hex');
      expect(() => encodeUserData({ text: 'a'.repeat(153), udh })).to.not.throw();
      expect(() => encodeUserData({ text: 'a'.repeat(154), udh })).to.throw(EncodingError);
      expect(() => encodeUserData({ bytes: new Uint8Array(140) })).to.not.throw();
      expect(() => encodeUserData({ bytes: new Uint8Array(141) })).to.throw(EncodingError);
      expect(() => encodeUserData({ bytes: new Uint8Array(135), udh })).to.throw(EncodingError);
      expect(() => encodeUserData({ text: 'Ж'.repeat(70) })).to.not.throw();
      expect(() => encodeUserData({ text: 'Ж'.repeat(71) })).to.throw(EncodingError);
    });

    it('rejects a malformed UDH, text for binary, bytes for gsm7 and odd UCS2 bytes', () => {
      expect(() => encodeUserData({ text: 'a', udh: Uint8Array.of(5, 0) })).to.throw(EncodingError);
      expect(() => encodeUserData({ text: 'a', encoding: 'binary' })).to.throw(EncodingError);
      expect(() =>
        encodeUserData({ text: 'a', bytes: Uint8Array.of(1), encoding: 'ucs2' }),
      ).to.throw(EncodingError);
      expect(() => encodeUserData({ bytes: Uint8Array.of(1), encoding: 'gsm7' })).to.throw(
        EncodingError,
      );
      expect(() => encodeUserData({ bytes: Uint8Array.of(1), encoding: 'ucs2' })).to.throw(
        EncodingError,
      );
    });
  });
});
