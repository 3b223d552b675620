/** `validate` and `explain`. */
import {
  explainScenario,
  formatIssue,
  loadScenarioText,
  readScenarioFile,
  ScenarioError,
  validateScenarioText,
} from '../scenario/index.js';
import { BoundedReadError } from '../util/bounded-read.js';
import { CliError } from './output.js';

async function read(file: string): Promise<string> {
  try {
    // Bounded like every scenario load: size checked first, devices and FIFOs refused unread.
    return await readScenarioFile(file);
  } catch (error) {
    const cause = error instanceof Error ? error.cause : undefined;
    if (cause instanceof BoundedReadError && cause.reason === 'io') {
      const e = cause.cause as NodeJS.ErrnoException;
      throw new CliError(
        `${file}: cannot read: ${e.code === 'ENOENT' ? 'no such file' : e.message}`,
        1,
      );
    }
    if (error instanceof ScenarioError) throw new CliError(error.message, 1);
    throw error;
  }
}

/** Prints `file:line:col: message` for every issue; returns the exit code (1 on any issue). */
export async function validate(files: readonly string[]): Promise<number> {
  let failed = 0;
  for (const file of files) {
    let text: string;
    try {
      text = await read(file);
    } catch (error) {
      process.stderr.write(`${(error as Error).message}\n`);
      failed++;
      continue;
    }
    const issues = validateScenarioText(text, file);
    if (issues.length === 0) process.stdout.write(`${file}: ok\n`);
    else {
      failed++;
      for (const i of issues) process.stderr.write(`${formatIssue(i)}\n`);
    }
  }
  return failed === 0 ? 0 : 1;
}

/** Prints each rule of the scenario in plain words. */
export async function explain(file: string): Promise<number> {
  const text = await read(file);
  const issues = validateScenarioText(text, file);
  if (issues.length > 0) {
    for (const i of issues) process.stderr.write(`${formatIssue(i)}\n`);
    return 1;
  }
  process.stdout.write(`${explainScenario(loadScenarioText(text, file)).join('\n')}\n`);
  return 0;
}
