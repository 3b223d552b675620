/**
 * Reading JSONL transcripts back: one record per line, blank lines skipped.
 */
import { readFile } from 'node:fs/promises';
import { TranscriptError, TranscriptParseError } from './errors.js';
import { Transcript } from './query.js';
import { isRecordKind, type TranscriptRecord } from './record.js';

/** What {@link readTranscript} reads: a file path, or text with an optional label for errors. */
export type TranscriptSource = string | { readonly text: string; readonly file?: string };

function checkRecord(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return 'not a JSON object';
  }
  const r = value as Record<string, unknown>;
  if (!Number.isInteger(r['seq'])) return 'no integer "seq"';
  if (typeof r['ts'] !== 'string') return 'no string "ts"';
  if (!isRecordKind(r['kind'])) return `unknown kind ${JSON.stringify(r['kind'])}`;
  return undefined;
}

/**
 * Parses JSONL text into a {@link Transcript}. A last line without a final newline that does
 * not parse is an interrupted write: it is dropped and `truncated` is set. Any other line that
 * is not a record (bad JSON, no integer `seq`, no `ts`, unknown `kind`) throws
 * `TranscriptParseError` with its 1-based line number.
 */
export function parseTranscript(text: string, file = '<text>'): Transcript {
  const body = text.startsWith('\uFEFF') ? text.slice(1) : text;
  const lines = body.split('\n');
  const records: TranscriptRecord[] = [];
  let truncated = false;
  for (let i = 0; i < lines.length; i++) {
    const line = (lines[i] ?? '').replace(/\r$/, '');
    if (line.trim() === '') continue;
    const last = i === lines.length - 1;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (error) {
      if (last) {
        truncated = true;
        break;
      }
      throw new TranscriptParseError(
        file,
        i + 1,
        error instanceof Error ? error.message : 'bad JSON',
        {
          cause: error,
        },
      );
    }
    const problem = checkRecord(value);
    if (problem !== undefined) throw new TranscriptParseError(file, i + 1, problem);
    records.push(value as TranscriptRecord);
  }
  return new Transcript(records, { truncated });
}

/**
 * Reads a transcript file (or `{ text }`) into a queryable {@link Transcript}. Throws
 * `TranscriptError` (`ERR_TRANSCRIPT_READ`) when the file cannot be read, and
 * `TranscriptParseError` for a bad line (see {@link parseTranscript}).
 */
export async function readTranscript(source: TranscriptSource): Promise<Transcript> {
  if (typeof source !== 'string') return parseTranscript(source.text, source.file);
  let text: string;
  try {
    text = await readFile(source, 'utf8');
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    throw new TranscriptError(
      `cannot read transcript file "${source}": ${typeof code === 'string' ? code : 'error'} (${
        error instanceof Error ? error.message : String(error)
      })`,
      'ERR_TRANSCRIPT_READ',
      source,
      { cause: error },
    );
  }
  return parseTranscript(text, source);
}
