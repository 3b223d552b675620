/** The CLI's size argument (`--memory-transcript SIZE`). */
import { expect } from 'chai';
import { InvalidArgumentError } from 'commander';
import { byteSize } from '../../../src/cli/args.js';

describe('byteSize', () => {
  const parse = byteSize('memory transcript');

  it('reads plain bytes, binary units and decimal units, in any case', () => {
    expect(parse('67108864')).to.equal(64 * 2 ** 20);
    expect(parse('64MiB')).to.equal(64 * 2 ** 20);
    expect(parse('512kib')).to.equal(512 * 1024);
    expect(parse('1GiB')).to.equal(2 ** 30);
    expect(parse('1.5 MiB')).to.equal(1.5 * 2 ** 20);
    expect(parse('64MB')).to.equal(64e6);
    expect(parse('2048B')).to.equal(2048);
  });

  it('refuses what is not a size, and sizes under the minimum, naming the option', () => {
    for (const bad of ['', 'MiB', '64 parsecs', '-1MiB', '0', '1000', '1e9']) {
      expect(() => parse(bad), bad)
        .to.throw(InvalidArgumentError)
        .with.property('message')
        .that.matches(/^memory transcript must be a size such as 64MiB/);
    }
  });
});
