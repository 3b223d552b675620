/** The CLI logger: one call, one line, whatever the values hold. */
import { expect } from 'chai';
import { createLogger, escapeControl } from '../../../src/cli/output.js';

function captureStderr(fn: () => void): string {
  const original = process.stderr.write.bind(process.stderr);
  let out = '';
  process.stderr.write = (chunk: string | Uint8Array): boolean => {
    out += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
    return true;
  };
  try {
    fn();
  } finally {
    process.stderr.write = original;
  }
  return out;
}

const EVIL = 'ev\nil\r2026-01-01T00:00:00.000Z info  forged\x1b[31m\x00\x7f\x9b\u2028x\\n';

describe('CLI logger', () => {
  it('escapes control characters: \\n \\r \\t by name, other C0, DEL and C1 as \\xNN', () => {
    expect(escapeControl('a\nb\rc\td\x1be\x00f\x7fg\x9bh\u2028i\\j')).to.equal(
      'a\\nb\\rc\\td\\x1be\\x00f\\x7fg\\x9bh\\u2028i\\j',
    );
  });

  it('text: a message and field values with a newline and ESC make one escaped line', () => {
    const out = captureStderr(() => {
      createLogger({ format: 'text', quiet: false }).warn(`login of ${EVIL} refused`, {
        user: EVIL,
        [`k${EVIL}`]: 1,
        n: { v: EVIL },
      });
    });
    expect(out.endsWith('\n')).to.equal(true);
    expect(out.slice(0, -1)).to.not.match(/[\x00-\x1f\x7f-\x9f\u2028]/);
    expect(out).to.match(
      /^\S+Z warn {2}login of ev\\nil\\r2026-01-01T00:00:00\.000Z info {2}forged\\x1b\[31m\\x00\\x7f\\x9b\\u2028x\\n refused /,
    );
    expect(out).to.include(' user=ev\\nil\\r');
  });

  it('json: one line, C1 escaped as \\u00NN, and the values read back intact', () => {
    const out = captureStderr(() => {
      createLogger({ format: 'json', quiet: false }).error(EVIL, { user: EVIL });
    });
    expect(out.split('\n')).to.have.length(2);
    expect(out.slice(0, -1)).to.not.match(/[\x00-\x1f\x7f-\x9f\u2028]/);
    const line = JSON.parse(out) as { msg: string; user: string };
    expect(line.msg).to.equal(EVIL);
    expect(line.user).to.equal(EVIL);
  });
});
