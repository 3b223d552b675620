import { expect } from 'chai';
import { FrameSyntaxError, ReservedByteError } from '../../../src/errors.js';
import { encodeFrame } from '../../../src/protocol/encoder.js';
import { frame } from '../../../src/protocol/frame.js';
import { SPEC_EXAMPLES } from '../../fixtures/spec-examples.js';
import { wire, withChecksum } from '../../helpers/wire.js';

describe('encodeFrame', () => {
  describe('docs/protocol.md worked checksum examples', () => {
    for (const ex of SPEC_EXAMPLES) {
      it(`produces ${ex.notation}`, () => {
        expect(encodeFrame(frame(ex.op, ex.pn, ex.params)).equals(wire(ex.notation))).to.equal(
          true,
        );
      });
    }
  });

  it('ends every parameter with TAB and omits the checksum on request', () => {
    const buf = encodeFrame(
      frame(3, 7, [
        [21, '12345678'],
        [33, 'hello'],
      ]),
      { checksum: false },
    );
    expect(buf.equals(wire('<STX>03:007<TAB>021:12345678<TAB>033:hello<TAB><ETX>'))).to.equal(true);
  });

  it('zero-pads op, packet number and parameter codes', () => {
    const buf = encodeFrame(
      frame(1, 5, [
        [10, 'u'],
        [901, 'x'],
      ]),
    );
    expect(buf.equals(withChecksum('<STX>01:005<TAB>010:u<TAB>901:x<TAB><ETX>'))).to.equal(true);
  });

  it('writes a lowercase checksum on request', () => {
    const buf = encodeFrame(frame(20, 2, [[33, 'Hi there']]), { lowercaseChecksum: true });
    expect(buf.equals(wire('<STX>20:002<TAB>033:Hi there<TAB><cs><ETX>'))).to.equal(true);
    expect(buf.toString('latin1')).to.match(/\t[0-9a-f]{2}\x03$/);
  });

  it('writes each value character as one byte (latin1)', () => {
    const buf = encodeFrame(frame(3, 1, [[33, 'a\u00e4\u00ff\u0001']]), { checksum: false });
    expect(buf.equals(wire('<STX>03:001<TAB>033:a<xE4><xFF><x01><TAB><ETX>'))).to.equal(true);
  });

  it('writes empty values and the minimum packet', () => {
    expect(
      encodeFrame(frame(40, 0), { checksum: false }).equals(wire('<STX>40:000<TAB><ETX>')),
    ).to.equal(true);
    expect(
      encodeFrame(frame(3, 1, [[23, '']])).equals(withChecksum('<STX>03:001<TAB>023:<TAB><ETX>')),
    ).to.equal(true);
  });

  for (const [name, ch] of [
    ['NUL', '\u0000'],
    ['STX', '\u0002'],
    ['ETX', '\u0003'],
    ['TAB', '\t'],
  ] as const) {
    it(`rejects ${name} inside a value, naming the parameter`, () => {
      expect(() => encodeFrame(frame(3, 1, [[33, `ab${ch}c`]])))
        .to.throw(ReservedByteError, `parameter 033 (user data): value contains ${name} at index 2`)
        .with.property('code', 'ERR_CIMD_RESERVED_BYTE');
    });
  }

  it('rejects characters above U+00FF', () => {
    expect(() =>
      encodeFrame(
        frame(3, 1, [
          [21, '12'],
          [33, 'x€'],
        ]),
      ),
    ).to.throw(ReservedByteError, /parameter 033 \(user data\): value contains character U\+20AC/);
  });

  for (const [what, f] of [
    ['op 100', frame(100, 1)],
    ['op -1', frame(-1, 1)],
    ['op 1.5', frame(1.5, 1)],
    ['pn 256', frame(1, 256)],
    ['pn NaN', frame(1, NaN)],
    ['parameter code 1000', frame(1, 1, [[1000, 'x']])],
  ] as const) {
    it(`rejects ${what}`, () => {
      expect(() => encodeFrame(f))
        .to.throw(FrameSyntaxError)
        .with.property('code', 'ERR_CIMD_SYNTAX');
    });
  }
});
