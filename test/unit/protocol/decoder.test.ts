import { expect } from 'chai';
import { ConfigError } from '../../../src/errors.js';
import { FrameDecoder, type DecodeResult } from '../../../src/protocol/decoder.js';
import { SPEC_EXAMPLES } from '../../fixtures/spec-examples.js';
import { wire, withChecksum } from '../../helpers/wire.js';

function decodeAll(buf: Buffer, options?: { maxFrameLength: number }): DecodeResult[] {
  return new FrameDecoder(options).push(buf);
}

function okFrame(r: DecodeResult | undefined): Extract<DecodeResult, { ok: true }> {
  if (r === undefined) return expect.fail('no result');
  if (!r.ok) return expect.fail(`decode failed: ${r.error.message}`);
  return r;
}

const GOOD = wire('<STX>03:009<TAB>021:123<TAB><CS><ETX>');

function expectGood(r: DecodeResult | undefined): void {
  const ok = okFrame(r);
  expect(ok.frame).to.deep.equal({ op: 3, pn: 9, params: [{ code: 21, value: '123' }] });
}

describe('FrameDecoder', () => {
  describe('docs/protocol.md worked checksum examples', () => {
    for (const ex of SPEC_EXAMPLES) {
      it(`decodes ${ex.notation} with a valid checksum`, () => {
        const [r, ...rest] = decodeAll(wire(ex.notation));
        expect(rest).to.have.length(0);
        const ok = okFrame(r);
        expect(ok.checksum).to.equal('valid');
        expect(ok.frame).to.deep.equal({
          op: ex.op,
          pn: ex.pn,
          params: ex.params.map(([code, value]) => ({ code, value })),
        });
      });
    }
  });

  it('reports checksum absent for a packet without trailer', () => {
    const ok = okFrame(decodeAll(wire('<STX>03:007<TAB>021:12345678<TAB>033:hello<TAB><ETX>'))[0]);
    expect(ok.checksum).to.equal('absent');
    expect(ok.frame.params).to.have.length(2);
  });

  it('accepts a lowercase checksum', () => {
    const buf = wire('<STX>20:002<TAB>033:Hi there<TAB><cs><ETX>');
    expect(buf.toString('latin1')).to.match(/\t[0-9a-f]{2}\x03$/);
    expect(okFrame(decodeAll(buf)[0]).checksum).to.equal('valid');
  });

  it('decodes the minimum packet of 9 bytes', () => {
    const ok = okFrame(decodeAll(wire('<STX>40:000<TAB><ETX>'))[0]);
    expect(ok.frame).to.deep.equal({ op: 40, pn: 0, params: [] });
    expect(ok.raw).to.have.length(9);
  });

  it('keeps values as byte strings: latin1 bytes, colons and empty values intact', () => {
    const ok = okFrame(
      decodeAll(wire('<STX>03:001<TAB>033:a:b<xE4><xFF><TAB>023:<TAB><CS><ETX>'))[0],
    );
    expect(ok.frame.params).to.deep.equal([
      { code: 33, value: 'a:b\u00e4\u00ff' },
      { code: 23, value: '' },
    ]);
  });

  it('keeps repeated parameters in wire order', () => {
    const ok = okFrame(
      decodeAll(withChecksum('<STX>03:001<TAB>021:1<TAB>021:2<TAB>021:3<TAB><ETX>'))[0],
    );
    expect(ok.frame.params.map((p) => p.value)).to.deep.equal(['1', '2', '3']);
  });

  it('returns raw as a private copy of the packet bytes', () => {
    const chunk = wire('xx<STX>40:001<TAB><CS><ETX>yy');
    const ok = okFrame(decodeAll(chunk)[0]);
    const expected = wire('<STX>40:001<TAB><CS><ETX>');
    chunk.fill(0);
    expect(ok.raw.equals(expected)).to.equal(true);
  });

  it('drops and counts bytes outside packets without buffering them', () => {
    const d = new FrameDecoder();
    expect(d.push(Buffer.from('Welcome to the SMSC\r\n'))).to.deep.equal([]);
    expect(d.bufferedBytes).to.equal(0);
    expect(d.discardedBytes).to.equal(21);
    const results = d.push(Buffer.concat([GOOD, wire('<ETX><TAB>junk')]));
    expect(results).to.have.length(1);
    expectGood(results[0]);
    expect(d.discardedBytes).to.equal(21 + 6);
  });

  it('holds a partial packet and completes it with the next chunk', () => {
    const d = new FrameDecoder();
    expect(d.push(GOOD.subarray(0, 10))).to.deep.equal([]);
    expect(d.bufferedBytes).to.equal(10);
    const results = d.push(GOOD.subarray(10));
    expect(results).to.have.length(1);
    expectGood(results[0]);
    expect(d.bufferedBytes).to.equal(0);
  });

  it('reset() drops a partial packet and counts it as discarded', () => {
    const d = new FrameDecoder();
    d.push(Buffer.from('ab'));
    d.push(GOOD.subarray(0, 10));
    d.reset();
    expect(d.bufferedBytes).to.equal(0);
    expect(d.discardedBytes).to.equal(12);
    // The rest of the old packet is now garbage; the next packet decodes.
    const results = d.push(Buffer.concat([GOOD.subarray(10), GOOD]));
    expect(results).to.have.length(1);
    expectGood(results[0]);
  });

  it('accepts a packet of exactly maxFrameLength bytes', () => {
    const buf = wire(`<STX>03:001<TAB>033:${'x'.repeat(18)}<TAB><ETX>`);
    expect(buf).to.have.length(32);
    const ok = okFrame(decodeAll(buf, { maxFrameLength: 32 })[0]);
    expect(ok.frame.params[0]?.value).to.equal('x'.repeat(18));
  });

  it('reports FrameTooLong once, bounded, even fed one byte at a time', () => {
    const bad = wire(`<STX>03:001<TAB>033:${'x'.repeat(100)}<TAB><ETX>`);
    const d = new FrameDecoder({ maxFrameLength: 32 });
    const results: DecodeResult[] = [];
    for (const b of Buffer.concat([bad, GOOD])) {
      results.push(...d.push(Uint8Array.of(b)));
      expect(d.bufferedBytes).to.be.below(32);
    }
    expect(results).to.have.length(2);
    const [err, good] = results;
    if (err?.ok !== false) return expect.fail('expected an error first');
    expect(err.error.code).to.equal('ERR_CIMD_FRAME_TOO_LONG');
    expect(err.raw.equals(bad.subarray(0, 32))).to.equal(true);
    expect(err.op).to.equal(3);
    expect(err.pn).to.equal(1);
    expectGood(good);
    expect(d.discardedBytes).to.equal(bad.length - 32);
  });

  it('reports MissingEtx with the bytes before the second STX, then decodes the next packet', () => {
    const partial = wire('<STX>03:001<TAB>021:12');
    const d = new FrameDecoder();
    const results = [...d.push(partial), ...d.push(GOOD)];
    expect(results).to.have.length(2);
    const [err, good] = results;
    if (err?.ok !== false) return expect.fail('expected an error first');
    expect(err.error.code).to.equal('ERR_CIMD_MISSING_ETX');
    expect(err.raw.equals(partial)).to.equal(true);
    expectGood(good);
  });

  it('rejects a maxFrameLength below the minimum packet', () => {
    expect(() => new FrameDecoder({ maxFrameLength: 8 })).to.throw(ConfigError);
    expect(() => new FrameDecoder({ maxFrameLength: 1.5 })).to.throw(ConfigError);
  });

  describe('error results', () => {
    const CASES: readonly {
      name: string;
      bad: string;
      code: string;
      cimd: number;
      op?: number;
      pn?: number;
      message?: RegExp;
      options?: { maxFrameLength: number };
    }[] = [
      { name: 'too short header', bad: '<STX><ETX>', code: 'ERR_CIMD_SYNTAX', cimd: 2 },
      {
        name: 'op not two digits',
        bad: '<STX>0x:001<TAB><ETX>',
        code: 'ERR_CIMD_SYNTAX',
        cimd: 2,
        message: /operation code/,
      },
      { name: 'one-digit op', bad: '<STX>3:001<TAB><ETX>', code: 'ERR_CIMD_SYNTAX', cimd: 2 },
      {
        name: 'missing colon in header',
        bad: '<STX>03-001<TAB><ETX>',
        code: 'ERR_CIMD_SYNTAX',
        cimd: 2,
        op: 3,
        message: /':'/,
      },
      {
        name: 'pn not three digits',
        bad: '<STX>03:01<TAB><ETX>',
        code: 'ERR_CIMD_SYNTAX',
        cimd: 2,
        op: 3,
        message: /packet number/,
      },
      {
        name: 'pn above 255',
        bad: '<STX>03:256<TAB><ETX>',
        code: 'ERR_CIMD_SYNTAX',
        cimd: 2,
        op: 3,
        message: /256/,
      },
      {
        name: 'missing TAB after header',
        bad: '<STX>03:001021:1<TAB><ETX>',
        code: 'ERR_CIMD_SYNTAX',
        cimd: 2,
        op: 3,
        pn: 1,
        message: /TAB after the header/,
      },
      {
        name: 'parameter code of two digits',
        bad: '<STX>03:001<TAB>21:123<TAB><ETX>',
        code: 'ERR_CIMD_SYNTAX',
        cimd: 2,
        op: 3,
        pn: 1,
        message: /parameter code/,
      },
      {
        name: 'parameter without colon',
        bad: '<STX>03:001<TAB>021=123<TAB><ETX>',
        code: 'ERR_CIMD_SYNTAX',
        cimd: 2,
        op: 3,
        pn: 1,
        message: /':'/,
      },
      {
        name: 'empty parameter',
        bad: '<STX>03:001<TAB><TAB><ETX>',
        code: 'ERR_CIMD_SYNTAX',
        cimd: 2,
        op: 3,
        pn: 1,
      },
      {
        name: 'last parameter without TAB',
        bad: '<STX>03:001<TAB>021:123<ETX>',
        code: 'ERR_CIMD_SYNTAX',
        cimd: 2,
        op: 3,
        pn: 1,
        message: /parameter 021 \(destination address\) is not terminated by TAB/,
      },
      {
        name: 'three-character trailer',
        bad: '<STX>03:001<TAB>ABC<ETX>',
        code: 'ERR_CIMD_SYNTAX',
        cimd: 2,
        op: 3,
        pn: 1,
        message: /two hex digits/,
      },
      {
        name: 'one-character trailer',
        bad: '<STX>03:001<TAB>A<ETX>',
        code: 'ERR_CIMD_SYNTAX',
        cimd: 2,
        op: 3,
        pn: 1,
      },
      {
        name: 'non-hex trailer',
        bad: '<STX>03:001<TAB>0G<ETX>',
        code: 'ERR_CIMD_SYNTAX',
        cimd: 2,
        op: 3,
        pn: 1,
      },
      {
        name: 'checksum mismatch',
        bad: '<STX>03:001<TAB>021:123<TAB>00<ETX>',
        code: 'ERR_CIMD_CHECKSUM',
        cimd: 2,
        op: 3,
        pn: 1,
        message: /frame says 00/,
      },
      {
        name: 'checksum of a packet with a broken parameter',
        bad: '<STX>03:001<TAB>21:1<TAB>FF<ETX>',
        code: 'ERR_CIMD_CHECKSUM',
        cimd: 2,
        op: 3,
        pn: 1,
      },
      {
        name: 'NUL inside a value',
        bad: '<STX>03:001<TAB>033:a<NUL>b<TAB><ETX>',
        code: 'ERR_CIMD_PARAMETER_FORMAT',
        cimd: 8,
        op: 3,
        pn: 1,
        message: /parameter 033 \(user data\): value contains NUL at index 1/,
      },
      {
        name: 'STX before ETX',
        bad: '<STX>03:001<TAB>021:1',
        code: 'ERR_CIMD_MISSING_ETX',
        cimd: 2,
        op: 3,
        pn: 1,
      },
      {
        name: 'STX before ETX inside the header',
        bad: '<STX>03:0',
        code: 'ERR_CIMD_MISSING_ETX',
        cimd: 2,
        op: 3,
      },
      {
        name: 'frame too long',
        bad: `<STX>03:001<TAB>033:${'y'.repeat(40)}<TAB><ETX>`,
        code: 'ERR_CIMD_FRAME_TOO_LONG',
        cimd: 2,
        op: 3,
        pn: 1,
        options: { maxFrameLength: 24 },
      },
      {
        name: 'frame too long before the header ends',
        bad: `<STX>03${'9'.repeat(40)}<ETX>`,
        code: 'ERR_CIMD_FRAME_TOO_LONG',
        cimd: 2,
        op: 3,
        options: { maxFrameLength: 24 },
      },
    ];

    for (const c of CASES) {
      it(`${c.name}: ${c.code} (${c.cimd}), then decodes the next valid packet`, () => {
        const results = decodeAll(Buffer.concat([wire(c.bad), GOOD]), c.options);
        expect(results).to.have.length(2);
        const [err, good] = results;
        if (err?.ok !== false) return expect.fail(`expected an error, got ${JSON.stringify(err)}`);
        expect(err.error.code).to.equal(c.code);
        expect(err.error.cimdErrorCode).to.equal(c.cimd);
        expect(err.op).to.equal(c.op);
        expect(err.pn).to.equal(c.pn);
        expect('op' in err).to.equal(c.op !== undefined);
        expect('pn' in err).to.equal(c.pn !== undefined);
        if (c.message) expect(err.error.message).to.match(c.message);
        expectGood(good);
      });
    }

    it('a checksum error names both checksums', () => {
      const bad = wire('<STX>03:001<TAB>021:123<TAB>00<ETX>');
      const right = wire('<STX>03:001<TAB>021:123<TAB><CS><ETX>').toString('latin1').slice(-3, -1);
      const [err] = decodeAll(bad);
      if (err?.ok !== false || err.error.code !== 'ERR_CIMD_CHECKSUM')
        return expect.fail('no checksum error');
      expect(err.error).to.include({ actual: '00', expected: right });
    });
  });
});
