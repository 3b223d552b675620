/**
 * The tables of docs/protocol.md agree with the codec's own tables: operations, parameters,
 * error codes, status codes and status error codes. A row missing, added or worded differently on
 * either side fails.
 */
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  ERROR_TEXTS,
  OPERATIONS,
  PARAMETERS,
  STATUS_ERROR_CODES,
  STATUS_NAMES,
  isFinalStatus,
} from '../../src/protocol/index.js';
import { ROOT } from './markdown.js';

const page = readFileSync(join(ROOT, 'docs/protocol.md'), 'utf8');

/** The table rows (cells trimmed, header and rule left out) of the section under `heading`. */
function rows(heading: string): string[][] {
  const start = page.indexOf(`\n${heading}\n`);
  if (start < 0) throw new Error(`docs/protocol.md has no heading "${heading}"`);
  const rest = page.slice(start + heading.length + 2);
  const end = rest.search(/\n#{1,6} /);
  const lines = (end < 0 ? rest : rest.slice(0, end)).split('\n').filter((l) => l.startsWith('|'));
  return lines.slice(2).map((l) =>
    l
      .slice(1, -1)
      .split(/(?<!\\)\|/)
      .map((c) => c.trim()),
  );
}

const pad = (n: number, width: number): string => String(n).padStart(width, '0');

describe('documentation: docs/protocol.md tables match the codec', () => {
  it('operations', () => {
    const expected = OPERATIONS.filter((o) => !o.isResponse || o.code >= 98).map((o) => [
      pad(o.code, 2),
      `\`${o.name}\``,
      o.title,
    ]);
    expect(rows('## Operations').map((r) => r.slice(0, 3))).to.deep.equal(expected);
  });

  it('parameters', () => {
    const expected = Object.values(PARAMETERS).map((p) => [
      p.key,
      p.title,
      p.type,
      p.maxLength === undefined ? '—' : String(p.maxLength),
      p.min === undefined && p.max === undefined
        ? ''
        : `${p.min === undefined ? '' : String(p.min)}–${p.max === undefined ? '' : String(p.max)}`,
    ]);
    expect(rows('## Parameters')).to.deep.equal(expected);
  });

  it('error codes with their default 901 texts', () => {
    const expected = Object.entries(ERROR_TEXTS).map(([code, text]) => [code, text]);
    expect(rows('## Error codes (900)')).to.deep.equal(expected);
  });

  it('status codes, names and which are final', () => {
    const expected = Object.entries(STATUS_NAMES).map(([code, name]) => [
      code,
      `\`${name}\``,
      isFinalStatus(Number(code)) ? 'yes' : 'no',
    ]);
    expect(rows('## Status codes (061)')).to.deep.equal(expected);
  });

  it('status error codes', () => {
    const documented = rows('## Status error codes (062)')
      .flatMap((r) => [r.slice(0, 2), r.slice(2, 4)])
      .filter(([code]) => code !== '' && code !== undefined)
      .sort((a, b) => Number(a[0]) - Number(b[0]));
    expect(documented).to.deep.equal(Object.entries(STATUS_ERROR_CODES));
  });
});
