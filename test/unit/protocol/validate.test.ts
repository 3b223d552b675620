import { expect } from 'chai';
import { ParameterFormatError, UnsupportedParameterError } from '../../../src/errors.js';
import { frame } from '../../../src/protocol/frame.js';
import { validateParameters } from '../../../src/protocol/validate.js';

type Pairs = readonly (readonly [number, string])[];

function check(params: Pairs) {
  return validateParameters(frame(3, 1, params));
}

function expectFormat(params: Pairs, parameter: number, message: string | RegExp): void {
  const err = check(params);
  expect(err).to.be.instanceOf(ParameterFormatError);
  expect(err?.code).to.equal('ERR_CIMD_PARAMETER_FORMAT');
  expect(err?.cimdErrorCode).to.equal(8);
  expect(err).to.have.property('parameter', parameter);
  if (typeof message === 'string') expect(err?.message).to.equal(message);
  else expect(err?.message).to.match(message);
}

describe('validateParameters', () => {
  it('accepts a well-formed submit', () => {
    expect(
      check([
        [21, '+358400000001'],
        [21, '358400000002'],
        [23, ''],
        [27, 'Interop'],
        [30, '8'],
        [32, '050003030201'],
        [33, 'H_a"llo _Oa \u00e4'],
        [50, '-1'],
        [51, '261125205950'],
        [56, '63'],
        [67, '9'],
        [901, 'Printable text ~'],
      ]),
    ).to.equal(undefined);
  });

  it('reports an unknown parameter code as unsupported (3)', () => {
    const err = check([
      [21, '1'],
      [35, '1'],
    ]);
    expect(err).to.be.instanceOf(UnsupportedParameterError);
    expect(err?.code).to.equal('ERR_CIMD_UNSUPPORTED_PARAMETER');
    expect(err?.cimdErrorCode).to.equal(3);
    expect(err).to.have.property('parameter', 35);
    expect(err?.message).to.equal('parameter 035 is not supported');
  });

  it('reports a repeated parameter other than 021', () => {
    expectFormat(
      [
        [33, 'a'],
        [33, 'b'],
      ],
      33,
      'parameter 033 (user data): repeated',
    );
  });

  it('reports a value longer than the maximum', () => {
    expectFormat(
      [[21, '1'.repeat(21)]],
      21,
      'parameter 021 (destination address): value longer than 20',
    );
    expectFormat([[33, 'x'.repeat(481)]], 33, /value longer than 480/);
    expect(check([[21, '1'.repeat(20)]])).to.equal(undefined);
  });

  it('reports non-digits in an int', () => {
    expectFormat(
      [[30, '8a']],
      30,
      /parameter 030 \(data coding scheme\): "8a" is not a decimal integer/,
    );
    expectFormat([[30, '']], 30, /not a decimal integer/);
  });

  it('reports an int out of range', () => {
    expectFormat([[67, '0']], 67, 'parameter 067 (priority): 0 is outside 1–9');
    expectFormat([[56, '64']], 56, /64 is outside 0–63/);
    expectFormat([[30, '-1']], 30, /-1 is outside 0–255/);
  });

  it('reports a time that is not 12 digits', () => {
    expectFormat(
      [[60, '2611252059']],
      60,
      /parameter 060 \(service centre time stamp\): "2611252059" is not a 12-digit time/,
    );
    expectFormat([[60, '26112520595x']], 60, /12-digit time/);
  });

  it('reports hex of odd length or with non-hex characters', () => {
    expectFormat([[34, 'ABC']], 34, 'parameter 034 (user data binary): hex value has odd length 3');
    expectFormat([[32, '0G']], 32, /"0G" contains a non-hex character/);
    expect(check([[34, 'abCD']])).to.equal(undefined);
  });

  it('reports a str with bytes outside 32–126', () => {
    expectFormat(
      [[10, 'us\u00e4r']],
      10,
      /parameter 010 \(user identity\): byte 0xe4 at index 2 is not printable ASCII/,
    );
    expectFormat([[901, 'a\nb']], 901, /byte 0x0a/);
  });

  it('reports an address with characters other than digits, + and -', () => {
    expectFormat(
      [[23, '12a']],
      23,
      /parameter 023 \(originating address\): "12a" is not an address/,
    );
    expect(check([[21, '+44-1']])).to.equal(undefined);
  });

  it('reports the first problem in wire order', () => {
    const err = check([
      [30, 'x'],
      [35, '1'],
    ]);
    expect(err?.code).to.equal('ERR_CIMD_PARAMETER_FORMAT');
  });
});
