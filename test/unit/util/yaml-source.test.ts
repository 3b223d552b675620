import { expect } from 'chai';
import fc from 'fast-check';
import {
  flowNestingOffset,
  MAX_FLOW_NESTING,
  fromPointer,
  humanPath,
  sortIssues,
  toPointer,
  YamlSource,
} from '../../../src/util/yaml-source.js';

describe('toPointer', () => {
  it('writes a path as an RFC 6901 pointer, escaping ~ and /', () => {
    expect(toPointer(['rules', 2, 'then', 0])).to.equal('/rules/2/then/0');
    expect(toPointer(['a/b', 'c~d', '~1'])).to.equal('/a~1b/c~0d/~01');
    expect(toPointer([])).to.equal('');
  });
});

describe('fromPointer', () => {
  const data = { rules: [{ then: [{}] }], when: { param: { '064': 'x' } } };

  it('turns segments that index an array into numbers and keeps digit-only keys as strings', () => {
    expect(fromPointer('/rules/0/then/0', data)).to.deep.equal(['rules', 0, 'then', 0]);
    expect(fromPointer('/when/param/064', data)).to.deep.equal(['when', 'param', '064']);
  });

  it('keeps segments below the end of the data as strings', () => {
    expect(fromPointer('/missing/0/x', data)).to.deep.equal(['missing', '0', 'x']);
  });

  it('reads the root pointer as the empty path', () => {
    expect(fromPointer('', data)).to.deep.equal([]);
  });

  it('inverts toPointer for any keys, however they are escaped', () => {
    fc.assert(
      fc.property(fc.string(), fc.nat({ max: 3 }), fc.string(), (outer, index, inner) => {
        const list = Array.from({ length: index + 1 }, () => ({ [inner]: 1 }));
        const doc = { [outer]: list };
        const path = [outer, index, inner];
        expect(fromPointer(toPointer(path), doc)).to.deep.equal(path);
      }),
    );
  });
});

describe('humanPath', () => {
  it('joins identifiers with dots and indexes with brackets', () => {
    expect(humanPath(['rules', 2, 'then', 0, 'error'])).to.equal('rules[2].then[0].error');
  });

  it('quotes keys that are not identifiers', () => {
    expect(humanPath(['when', 'param', '064'])).to.equal('when.param["064"]');
    expect(humanPath(['a b', 'c'])).to.equal('["a b"].c');
    expect(humanPath([0, 'count'])).to.equal('[0].count');
  });

  it('is empty for the root', () => {
    expect(humanPath([])).to.equal('');
  });
});

describe('YamlSource', () => {
  const text = [
    'version: 1', //      line 1
    'rules:', //          line 2
    '  - id: first', //   line 3
    '    then:', //       line 4
    '      - drop:', //   line 5
    '  - id: second', //  line 6
    '    when: { op: submit }', // line 7
  ].join('\n');
  const source = new YamlSource(text, 's.yaml');

  it('parses the plain data', () => {
    expect(source.syntaxIssues).to.deep.equal([]);
    expect(source.data).to.deep.equal({
      version: 1,
      rules: [
        { id: 'first', then: [{ drop: null }] },
        { id: 'second', when: { op: 'submit' } },
      ],
    });
  });

  it('locates the value of a path, in block and flow style', () => {
    expect(source.position(['rules', 0, 'id'])).to.deep.equal({ line: 3, col: 9 });
    expect(source.position(['rules', 1, 'when', 'op'])).to.deep.equal({ line: 7, col: 17 });
    expect(source.position(['rules', 1])).to.deep.equal({ line: 6, col: 5 });
  });

  it('locates the key of the last segment with at: key', () => {
    expect(source.position(['rules', 1, 'when'], 'key')).to.deep.equal({ line: 7, col: 5 });
  });

  it('locates an entry without a value on its own line, after the colon', () => {
    expect(source.position(['rules', 0, 'then', 0, 'drop'])).to.deep.equal({ line: 5, col: 14 });
  });

  it('locates a missing key at its parent mapping, and a missing index at its list', () => {
    expect(source.position(['rules', 1, 'then'])).to.deep.equal({ line: 6, col: 5 });
    expect(source.position(['rules', 5, 'id'])).to.deep.equal({ line: 3, col: 3 });
  });

  it('follows aliases to the node they name', () => {
    const s = new YamlSource('base: &b\n  op: submit\nrule:\n  when: *b\n', 'a.yaml');
    expect(s.position(['rule', 'when', 'op'])).to.deep.equal({ line: 2, col: 7 });
  });

  it('makes an issue with the readable path, the pointer and the position', () => {
    expect(source.issue(['rules', 1, 'when', 'op'], 'bad op')).to.deep.equal({
      file: 's.yaml',
      line: 7,
      col: 17,
      message: 'rules[1].when.op: bad op',
      path: '/rules/1/when/op',
    });
  });

  it('prefixes an issue with the given path and points at the key', () => {
    expect(
      source.issue(['rules', 1, 'when'], 'unknown key "when"', {
        at: 'key',
        prefix: ['rules', 1],
      }),
    ).to.deep.equal({
      file: 's.yaml',
      line: 7,
      col: 5,
      message: 'rules[1]: unknown key "when"',
      path: '/rules/1/when',
    });
  });

  it('leaves an issue at the root without a prefix', () => {
    expect(source.issue([], 'must be a mapping')).to.deep.equal({
      file: 's.yaml',
      line: 1,
      col: 1,
      message: 'must be a mapping',
      path: '',
    });
  });

  it('removes a byte order mark before parsing, so columns count from the first character', () => {
    const s = new YamlSource('\uFEFFa: 1\n', 'b.yaml');
    expect(s.text).to.equal('a: 1\n');
    expect(s.position(['a'])).to.deep.equal({ line: 1, col: 4 });
  });

  it('reports syntax errors and duplicate keys located, with no data', () => {
    const dup = new YamlSource('a: 1\nb: 2\na: 3\n', 'd.yaml');
    expect(dup.data).to.equal(undefined);
    expect(dup.syntaxIssues).to.deep.equal([
      {
        file: 'd.yaml',
        line: 3,
        col: 1,
        message: 'YAML syntax error: Map keys must be unique',
        path: '',
      },
    ]);
    const tab = new YamlSource('a:\n\t- b\n', 't.yaml');
    expect(tab.syntaxIssues.map((i) => [i.line, i.col])).to.deep.include([2, 1]);
  });

  it('reads an empty text as null data', () => {
    const s = new YamlSource('', 'e.yaml');
    expect(s.syntaxIssues).to.deep.equal([]);
    expect(s.data).to.equal(null);
    expect(s.position(['x'])).to.deep.equal({ line: 1, col: 1 });
  });
});

describe('flowNestingOffset', () => {
  it('finds the bracket that opens one level too many, skipping quotes and comments', () => {
    const deep = `a: ${'['.repeat(5)}${']'.repeat(5)}`;
    expect(flowNestingOffset(deep, 5)).to.equal(undefined);
    expect(flowNestingOffset(deep, 4)).to.equal(3 + 4);
    expect(
      flowNestingOffset(`# ${'['.repeat(9)}\nb: "${'{'.repeat(9)}"\nc: '[[[[[[[[['`, 2),
    ).to.equal(undefined);
    expect(flowNestingOffset('c: [[1], {d: [2]}]\ne: ^[a-z]+$', 3)).to.equal(undefined);
    expect(flowNestingOffset('c: [[1], {d: [2]}]', 2)).to.equal(13);
  });

  it('makes a too-deep document one located issue, parsed no further', () => {
    const text = `version: 1\nrules: ${'['.repeat(MAX_FLOW_NESTING + 1)}`;
    const source = new YamlSource(text, 'deep.yaml');
    expect(source.data).to.equal(undefined);
    expect(source.syntaxIssues).to.deep.equal([
      {
        file: 'deep.yaml',
        line: 2,
        col: 8 + MAX_FLOW_NESTING,
        message: `YAML error: flow collections nested more than ${MAX_FLOW_NESTING} deep`,
        path: '',
      },
    ]);
  });
});

describe('sortIssues', () => {
  it('orders by line then column, keeping the order of equal positions', () => {
    const at = (line: number, col: number, message: string) => ({ line, col, message });
    expect(
      sortIssues([at(3, 1, 'a'), at(1, 9, 'b'), at(1, 2, 'c'), at(3, 1, 'd')]).map(
        (i) => i.message,
      ),
    ).to.deep.equal(['c', 'b', 'a', 'd']);
  });
});
