/** Password redaction inside decision / unmatched explanations. */
import { expect } from 'chai';
import { redactExplanation } from '../../../src/transcript/redact-explanation.js';

describe('redactExplanation', () => {
  it('redacts the compared values after a password label, and only those', () => {
    expect(
      redactExplanation(
        'rule "ok": op "login" is "login", user "shop" is "shop", password "s3cret" is "s3cret" → answer OK',
        's3cret',
      ),
    ).to.equal(
      'rule "ok": op "login" is "login", user "shop" is "shop", password "***" is "***" → answer OK',
    );
  });

  it("redacts the scenario's password in a near miss, which the request does not carry", () => {
    expect(
      redactExplanation(
        'no rule matched login; rule "a": password "wrong" is not "right", user "u" is not "v"; rule "b": password "wrong" is not one of "p, 1", "p2"',
        undefined,
      ),
    ).to.equal(
      'no rule matched login; rule "a": password "***" is not "***", user "u" is not "v"; rule "b": password "***" is not one of "***", "***"',
    );
  });

  it('covers prefix, suffix, glob, regex, not, combined tests and parameter 011', () => {
    const cases: [string, string][] = [
      [
        'password "ab" starts with "a" and ends with "b"',
        'password "***" starts with "***" and ends with "***"',
      ],
      [
        'password "ab" does not match /^x\\/y$/, op "login" is "login"',
        'password "***" does not match /***/, op "login" is "login"',
      ],
      ['password "ab" matches glob "a*"', 'password "***" matches glob "***"'],
      [
        'password "a\\"b" does not satisfy (starts with "x" and matches /y/)',
        'password "***" does not satisfy (starts with "***" and matches /***/)',
      ],
      ['parameter 011 "pw" is "pw" → answer OK', 'parameter 011 "***" is "***" → answer OK'],
      [
        'password is absent, op "submit" is "submit"',
        'password is absent, op "submit" is "submit"',
      ],
    ];
    for (const [input, output] of cases)
      expect(redactExplanation(input, undefined)).to.equal(output);
  });

  it("replaces the request's own password anywhere it is quoted, shortened or not", () => {
    const long = 'L'.repeat(70);
    expect(redactExplanation(`user "pw1" is "pw1"`, 'pw1')).to.equal('user "***" is "***"');
    expect(redactExplanation(`text "${'L'.repeat(57)}..." is long`, long)).to.equal(
      'text "***" is long',
    );
  });

  it('keeps explanations without passwords as they are', () => {
    const s = 'accounts: wrong password for "shop": error 100 (Invalid login)';
    expect(redactExplanation(s, 'x')).to.equal(s);
  });
});
