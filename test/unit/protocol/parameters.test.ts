import { expect } from 'chai';
import {
  PARAMETERS,
  Param,
  describeParam,
  paramByName,
  paramInfo,
} from '../../../src/protocol/parameters.js';

describe('parameters', () => {
  it('has one row per Param member, keyed by code, with a three-digit key', () => {
    const rows = Object.values(PARAMETERS);
    expect(rows.map((r) => r.code).sort((a, b) => a - b)).to.deep.equal(
      Object.values(Param).sort((a, b) => a - b),
    );
    for (const r of rows) {
      expect(r.key).to.equal(String(r.code).padStart(3, '0'));
      expect(r.name).to.match(/^[a-z][A-Za-z]*$/);
    }
    expect(new Set(rows.map((r) => r.name)).size).to.equal(rows.length);
  });

  it('follows docs/protocol.md#parameters and the docs/protocol.md#where-implementations-disagree resolutions', () => {
    expect(paramInfo(21)).to.deep.include({
      key: '021',
      name: 'destinationAddress',
      type: 'addr',
      maxLength: 20,
      repeatable: true,
    });
    expect(paramInfo(33)).to.deep.include({ type: 'ud', maxLength: 480 });
    expect(paramInfo(34)).to.deep.include({ type: 'hex', maxLength: 280 });
    expect(paramInfo(50)).to.deep.include({ type: 'int', min: -1, max: 255 });
    expect(paramInfo(56)).to.deep.include({ maxLength: 2, min: 0, max: 63 });
    expect(paramInfo(65)).to.deep.include({ maxLength: 2, min: 0, max: 9 });
    expect(paramInfo(67)).to.deep.include({ min: 1, max: 9 });
    expect(paramInfo(900)).to.deep.include({ maxLength: 3, min: 0, max: 999 });
    expect(paramInfo(901)).to.deep.include({ type: 'str', maxLength: 64 });
    expect(paramInfo(60)).to.deep.include({ type: 'time', maxLength: 12 });
  });

  it('lets only 021 repeat', () => {
    const repeatable = Object.values(PARAMETERS).filter((r) => r.repeatable === true);
    expect(repeatable.map((r) => r.code)).to.deep.equal([21]);
  });

  it('gives undefined for codes not in the table', () => {
    expect(paramInfo(35)).to.equal(undefined);
    expect(paramInfo(999)).to.equal(undefined);
    expect(paramByName('toString')).to.equal(undefined);
    expect(paramByName('userData')?.code).to.equal(33);
  });

  it('describes parameters for messages', () => {
    expect(describeParam(21)).to.equal('parameter 021 (destination address)');
    expect(describeParam(71)).to.equal('parameter 071 (IP address)');
    expect(describeParam(35)).to.equal('parameter 035');
  });
});
