import { expect } from 'chai';
import { unsafeRegexReason } from '../../../src/scenario/regex-safety.js';

describe('unsafeRegexReason', () => {
  it('rejects a repeated group that contains a repeated element', () => {
    for (const p of [
      '(a+)+',
      '(a*)*',
      '^(\\d+)*$',
      '(x+y){2,}',
      '((ab)*c)+',
      '(?:a+)+',
      '([a-z]+)*',
      '(a{2,})+',
    ]) {
      expect(unsafeRegexReason(p), p).to.be.a('string');
    }
  });

  it('accepts patterns without nested repetition', () => {
    for (const p of [
      '^PIN \\d{4}$',
      '^\\+4479',
      '(ab)+',
      '(a+)b',
      '(a+)?',
      '(a+){1}',
      '[(+)]+',
      '\\(a+\\)+',
      '(a|b)*',
      '^(hello|hi)\\b',
    ]) {
      expect(unsafeRegexReason(p), p).to.equal(undefined);
    }
  });
});
