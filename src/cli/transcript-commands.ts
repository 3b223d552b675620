/** `assert`, `diff` and `show` over transcript files. Exit codes: 0 pass, 1 fail, 2 usage. */
import { readFile, writeFile } from 'node:fs/promises';
import {
  ExpectationsError,
  Transcript,
  TranscriptParseError,
  currentEpoch,
  diffTranscripts,
  formatDiff,
  formatFailures,
  loadExpectations,
  parseTranscript,
  readTranscript,
  runExpectations,
  showTranscript,
} from '../transcript/index.js';
import { MAX_EXPECTATIONS_BYTES } from '../transcript/expectations.js';
import type { BoundedReadError } from '../util/bounded-read.js';
import { readBoundedTextFile } from '../util/bounded-read.js';
import { READINESS_LINE, follow } from './follow.js';
import { CliError } from './output.js';

async function transcript(file: string): Promise<Transcript> {
  try {
    return await readTranscript(file);
  } catch (error) {
    if (error instanceof TranscriptParseError) throw new CliError(error.message, 2);
    const e = error as NodeJS.ErrnoException;
    throw new CliError(
      `${file}: cannot read: ${e.code === 'ENOENT' ? 'no such file' : e.message}`,
      2,
    );
  }
}

/**
 * `cimd2-mock assert <transcript> <expectations> [--all]`: checks the records after the last
 * `reset` record (the current epoch), or every record with `--all`.
 */
/**
 * The text of an expectations file, read with the limits of a scenario file: a device, FIFO or
 * directory is refused unread, and a file over 1 MiB from its size. Usage error (exit 2) otherwise.
 */
export async function readExpectationsText(file: string): Promise<string> {
  try {
    return await readBoundedTextFile(file, MAX_EXPECTATIONS_BYTES, 'the expectations limit');
  } catch (error) {
    const e = error as BoundedReadError;
    const cause = e.cause as NodeJS.ErrnoException | undefined;
    const why = cause?.code === 'ENOENT' ? 'no such file' : e.message;
    throw new CliError(`${file}: cannot read: ${why}`, 2);
  }
}

export async function assertCommand(
  transcriptFile: string,
  expectationsFile: string,
  opts: { all?: boolean } = {},
): Promise<number> {
  const text = await readExpectationsText(expectationsFile);
  let doc;
  try {
    doc = loadExpectations(text, expectationsFile);
  } catch (error) {
    if (error instanceof ExpectationsError) {
      process.stderr.write(`${error.message}\n`);
      return 2;
    }
    throw error;
  }
  const file = await transcript(transcriptFile);
  const t = opts.all === true ? file : new Transcript(currentEpoch(file.records));
  const result = runExpectations(t, doc);
  if (!result.passed) {
    process.stderr.write(`${formatFailures(result)}\n`);
    return 1;
  }
  process.stdout.write(
    `all ${doc.expectations.length} expectations passed (${t.records.length} records${
      t.records.length === file.records.length ? '' : ' after the last reset; --all for every one'
    })\n`,
  );
  return 0;
}

/** `cimd2-mock diff <golden> <actual> [--ignore …] [--update]`. */
export async function diffCommand(
  golden: string,
  actual: string,
  opts: { ignore?: string[]; update?: boolean },
): Promise<number> {
  const a = await transcript(actual);
  if (opts.update === true) {
    await writeFile(golden, await readFile(actual));
    process.stdout.write(`${golden} updated from ${actual} (${a.records.length} records)\n`);
    return 0;
  }
  const g = await transcript(golden);
  const differences = diffTranscripts(
    g,
    a,
    opts.ignore === undefined ? {} : { ignore: opts.ignore },
  );
  if (differences.length === 0) {
    process.stdout.write('transcripts match\n');
    return 0;
  }
  process.stdout.write(
    `${formatDiff(differences, { goldenLabel: golden, actualLabel: actual, color: process.stdout.isTTY })}\n`,
  );
  return 1;
}

/** `cimd2-mock show <transcript | -> [--follow]`. */
export async function showCommand(
  file: string,
  opts: { color: boolean; follow?: boolean },
): Promise<number> {
  const color = opts.color && process.stdout.isTTY;
  if (opts.follow === true) {
    const stop = new AbortController();
    const onSignal = (): void => {
      stop.abort();
    };
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    try {
      return await follow(file, { color, signal: stop.signal });
    } catch (error) {
      if (error instanceof TranscriptParseError) throw new CliError(error.message, 2);
      const e = error as NodeJS.ErrnoException;
      throw new CliError(
        `${file}: cannot read: ${e.code === 'ENOENT' ? 'no such file' : e.message}`,
        2,
      );
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
  }
  const t = file === '-' ? await stdinTranscript() : await transcript(file);
  const lines = showTranscript(t, { color });
  process.stdout.write(`${lines.join('\n')}\n`);
  return 0;
}

/** The transcript piped to stdin (the readiness lines of `serve --transcript -` skipped). */
async function stdinTranscript(): Promise<Transcript> {
  let text = '';
  process.stdin.setEncoding('utf8');
  for await (const chunk of process.stdin) text += chunk as string;
  const body = text
    .split('\n')
    .map((l) => (READINESS_LINE.test(l) ? '' : l))
    .join('\n');
  try {
    return parseTranscript(body, '<stdin>');
  } catch (error) {
    if (error instanceof TranscriptParseError) throw new CliError(error.message, 2);
    throw error;
  }
}
