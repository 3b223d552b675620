/** Shared helpers for transcript tests: schema validation and hand-written records. */
import { readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import type { ValidateFunction } from 'ajv/dist/2020.js';
import type { TranscriptRecord } from '../../../src/transcript/record.js';

let validate: ValidateFunction | undefined;

/** Validates one record against schemas/transcript.schema.json; throws listing ajv's errors. */
export function assertValidRecord(record: unknown): void {
  if (!validate) {
    const schema = JSON.parse(
      readFileSync(new URL('../../../schemas/transcript.schema.json', import.meta.url), 'utf8'),
    ) as Record<string, unknown>;
    validate = new Ajv2020({ strict: true, allErrors: true, allowUnionTypes: true }).compile(
      schema,
    );
  }
  if (!validate(record)) {
    throw new Error(
      `record does not match the schema: ${JSON.stringify(record)}\n${JSON.stringify(validate.errors, null, 2)}`,
    );
  }
}

/** Distributive Omit, so each union member keeps its own keys. */
type Body<R> = R extends unknown ? Omit<R, 'seq' | 'ts'> : never;

/**
 * Hand-written transcripts: `at(ms, body)` gives the next record `seq` and a `ts` of
 * 2026-01-01T12:00:00.000Z + ms.
 */
export function handWritten(): {
  at(ms: number, body: Body<TranscriptRecord>): TranscriptRecord;
  records: TranscriptRecord[];
} {
  const records: TranscriptRecord[] = [];
  const base = Date.UTC(2026, 0, 1, 12, 0, 0);
  return {
    records,
    at(ms, body) {
      const r = {
        seq: records.length + 1,
        ts: new Date(base + ms).toISOString(),
        ...body,
      } as TranscriptRecord;
      records.push(r);
      return r;
    },
  };
}

/** Latin1 string of wire bytes (the `raw` representation), computed without the recorder. */
export function latin1(bytes: Buffer): string {
  let s = '';
  for (const b of bytes) s += String.fromCharCode(b);
  return s;
}
