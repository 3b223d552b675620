import { expect } from 'chai';
import { Ajv2020 } from 'ajv/dist/2020.js';
import {
  distinctIssues,
  editDistance,
  SCHEMA_AJV_OPTIONS,
  schemaIssues,
  suggestion,
  typeMessage,
} from '../../../src/util/schema-messages.js';
import type { MessageOverride } from '../../../src/util/schema-messages.js';
import { YamlSource } from '../../../src/util/yaml-source.js';

const schema = {
  type: 'object',
  properties: {
    version: { const: 1 },
    server: {
      type: 'object',
      properties: {
        keepAlive: { type: 'integer', minimum: 0, maximum: 10 },
        timezone: { type: 'string' },
      },
      additionalProperties: false,
    },
    account: {
      type: 'object',
      properties: { user: { type: 'string' }, password: { type: 'string' } },
      required: ['user'],
    },
    steps: {
      type: 'array',
      minItems: 1,
      items: {
        type: 'object',
        properties: { respond: { type: 'object' }, drop: { type: 'object' } },
        additionalProperties: false,
        minProperties: 1,
      },
    },
    scope: { enum: ['session', 'user'] },
    params: {
      type: 'object',
      propertyNames: { pattern: '^\\d{3}$' },
      additionalProperties: { type: 'string', minLength: 1, maxLength: 3 },
    },
    name: { type: ['string', 'null'] },
  },
  required: ['version'],
  additionalProperties: false,
};

const validate = new Ajv2020(SCHEMA_AJV_OPTIONS).compile(schema);

function issues(text: string, override?: MessageOverride): string[] {
  const source = new YamlSource(text, 'x.yaml');
  expect(source.syntaxIssues).to.deep.equal([]);
  expect(validate(source.data)).to.equal(false);
  return schemaIssues(source, validate.errors ?? [], override).map(
    (i) => `${i.line}:${i.col} ${i.path} ${i.message}`,
  );
}

describe('editDistance', () => {
  it('counts insertions, deletions, substitutions and adjacent swaps', () => {
    expect(editDistance('kitten', 'sitting')).to.equal(3);
    expect(editDistance('', 'abc')).to.equal(3);
    expect(editDistance('abc', '')).to.equal(3);
    expect(editDistance('respnd', 'respond')).to.equal(1);
    expect(editDistance('same', 'same')).to.equal(0);
    expect(editDistance('alvie', 'alive')).to.equal(1);
    expect(editDistance('dri', 'dir')).to.equal(1);
    expect(editDistance('ab', 'ba')).to.equal(1);
  });
});

describe('suggestion', () => {
  it('names the closest candidate within a third of the word, ignoring case', () => {
    expect(suggestion('respnd', ['delay', 'respond', 'drop'])).to.equal(
      ' (did you mean "respond"?)',
    );
    expect(suggestion('KEEPALIVE', ['keepAlive'])).to.equal(' (did you mean "keepAlive"?)');
  });

  it('allows one edit even for short words, and no more', () => {
    expect(suggestion('in', ['it'])).to.equal(' (did you mean "it"?)');
    expect(suggestion('up', ['in', 'out'])).to.equal('');
  });

  it('is empty when nothing is close or there are no candidates', () => {
    expect(suggestion('colour', ['keepAlive', 'timezone'])).to.equal('');
    expect(suggestion('x', [])).to.equal('');
  });

  it('takes the first of equally close candidates', () => {
    expect(suggestion('cat', ['bat', 'hat'])).to.equal(' (did you mean "bat"?)');
  });
});

describe('typeMessage', () => {
  it('names the expected types in YAML words', () => {
    expect(typeMessage('object', [])).to.equal('must be a mapping');
    expect(typeMessage(['array', 'null'], 1)).to.equal('must be a list or empty');
    expect(typeMessage('boolean,integer', 'x')).to.equal('must be true or false or an integer');
  });

  it('explains a number where a string was wanted, and names a non-integer', () => {
    expect(typeMessage('string', 64)).to.equal(
      'must be a string (YAML read 64 as a number: put it in quotes)',
    );
    expect(typeMessage('integer', 1.5)).to.equal('must be an integer, not 1.5');
  });
});

describe('schemaIssues', () => {
  it('points an unknown key at the key and suggests the closest allowed one', () => {
    expect(issues('version: 1\nserver:\n  keepAliv: 3\n')).to.deep.equal([
      '3:3 /server/keepAliv server: unknown key "keepAliv" (did you mean "keepAlive"?)',
    ]);
  });

  it('lists the allowed keys when no key is close', () => {
    expect(issues('version: 1\nserver: { colour: red }\n')).to.deep.equal([
      '2:11 /server/colour server: unknown key "colour" (expected one of: keepAlive, timezone)',
    ]);
  });

  it('points a missing key at its parent mapping, the root one at the mapping start', () => {
    expect(issues('version: 1\naccount:\n  password: x\n')).to.deep.equal([
      '3:3 /account account: missing required key "user"',
    ]);
    expect(issues('# comment\n\nname: x\n')).to.deep.equal(['3:1  missing required key "version"']);
  });

  it('words type errors for YAML', () => {
    expect(
      issues('version: 1\nserver: { timezone: 5, keepAlive: 1.5 }\nname: [1]\nsteps: {}\n'),
    ).to.deep.equal([
      '2:21 /server/timezone server.timezone: must be a string (YAML read 5 as a number: put it in quotes)',
      '2:35 /server/keepAlive server.keepAlive: must be an integer, not 1.5',
      '3:7 /name name: must be a string or empty',
      '4:8 /steps steps: must be a list',
    ]);
  });

  it('names the allowed values of an enum, with a suggestion when one is close', () => {
    expect(issues('version: 1\nscope: sesion\n')).to.deep.equal([
      '2:8 /scope scope: must be one of: session, user (did you mean "session"?)',
    ]);
    expect(issues('version: 1\nscope: world\n')).to.deep.equal([
      '2:8 /scope scope: must be one of: session, user',
    ]);
  });

  it('words const, bounds and emptiness', () => {
    expect(issues('version: 2\nserver: { keepAlive: -1 }\n')).to.deep.equal([
      '1:10 /version version: must be 1',
      '2:22 /server/keepAlive server.keepAlive: must be at least 0',
    ]);
    expect(issues('version: 1\nserver: { keepAlive: 11 }\n')).to.deep.equal([
      '2:22 /server/keepAlive server.keepAlive: must be at most 10',
    ]);
    expect(issues('version: 1\nsteps: []\n')).to.deep.equal([
      '2:8 /steps steps: must not be empty',
    ]);
    expect(issues('version: 1\nsteps:\n  - {}\n')).to.deep.equal([
      '3:5 /steps/0 steps[0]: must not be empty',
    ]);
  });

  it('reports a bad property name once, at the key, with the value it rejected', () => {
    expect(issues('version: 1\nparams:\n  "64": x\n')).to.deep.equal([
      '3:3 /params/64 params: "64" must match ^\\d{3}$',
    ]);
  });

  it('counts characters for a too-long string and quotes a key that is not an identifier', () => {
    expect(issues('version: 1\nparams: { "064": abcd, "065": "" }\n')).to.deep.equal([
      '2:18 /params/064 params["064"]: must be at most 3 characters',
      '2:31 /params/065 params["065"]: must not be empty',
    ]);
  });

  it('uses an override where it gives a message, with the property name as data', () => {
    const seen: unknown[] = [];
    const override: MessageOverride = (error, path) => {
      if (error.keyword !== 'pattern') return undefined;
      seen.push([error.data, path]);
      return `invalid code ${JSON.stringify(error.data)}`;
    };
    expect(issues('version: 2\nparams:\n  "64": x\n', override)).to.deep.equal([
      '1:10 /version version: must be 1',
      '3:3 /params/64 params: invalid code "64"',
    ]);
    expect(seen).to.deep.equal([['64', ['params']]]);
  });
});

describe('distinctIssues', () => {
  it('drops undefined entries and repeats of a path and message, then sorts by position', () => {
    const at = (line: number, col: number, path: string, message: string) => ({
      file: 'f',
      line,
      col,
      path,
      message,
    });
    expect(
      distinctIssues([
        at(2, 1, '/b', 'late'),
        undefined,
        at(1, 5, '/a', 'same'),
        at(1, 5, '/a', 'same'),
        at(1, 5, '/a', 'other'),
        at(1, 5, '/c', 'same'),
      ]),
    ).to.deep.equal([
      at(1, 5, '/a', 'same'),
      at(1, 5, '/a', 'other'),
      at(1, 5, '/c', 'same'),
      at(2, 1, '/b', 'late'),
    ]);
  });
});
