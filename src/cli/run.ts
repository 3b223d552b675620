/** `cimd2-mock run [serve options] [--assert FILE] -- <command…>`: the mock around one command. */
import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import { loadExpectations, runExpectations, formatFailures } from '../transcript/index.js';
import { CliError, writeTo } from './output.js';
import { readExpectationsText } from './transcript-commands.js';
import { STOP_SIGNALS, hostPort, startServing, summary, type ServeOptions } from './serve.js';

export interface RunOptions extends ServeOptions {
  assert?: string;
  /** Exit 1 when the client judge recorded an error-severity finding. */
  failOnFindings?: boolean;
}

/** Runs `command` with CIMD2_MOCK_* in its environment; returns the exit code to use. */
export async function run(command: readonly string[], opts: RunOptions): Promise<number> {
  const [file, ...args] = command;
  if (file === undefined)
    throw new CliError('run: no command given (usage: cimd2-mock run [options] -- <command…>)', 2);
  // Load the expectations first: a broken file should fail before anything runs.
  const expectations =
    opts.assert === undefined
      ? undefined
      : loadExpectations(await readExpectationsText(opts.assert), opts.assert);
  const running = await startServing(opts, 'run');
  const { mock, admin } = running;
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    CIMD2_MOCK_HOST: mock.host,
    CIMD2_MOCK_PORT: String(mock.port),
    CIMD2_MOCK_ADDRESS: hostPort(mock.host, mock.port),
    ...(admin !== undefined ? { CIMD2_MOCK_ADMIN_URL: admin.url } : {}),
  };
  const onReopen = (): void => {
    mock.transcriptFile?.reopen();
  };
  process.on('SIGUSR1', onReopen);
  let code = await new Promise<number>((resolve) => {
    // With `--transcript -` stdout carries the JSONL: the command's stdout goes to stderr.
    const child = spawn(file, args, {
      stdio: opts.transcript === '-' ? ['inherit', process.stderr, 'inherit'] : 'inherit',
      env,
    });
    const forward = (signal: NodeJS.Signals): void => {
      child.kill(signal);
    };
    for (const s of STOP_SIGNALS) process.on(s, forward);
    child.on('error', (error: NodeJS.ErrnoException) => {
      running.log.error(
        `cannot run ${file}: ${error.code === 'ENOENT' ? 'command not found' : error.message}`,
      );
      resolve(error.code === 'ENOENT' ? 127 : 126);
    });
    child.on('exit', (exitCode, signal) => {
      for (const s of STOP_SIGNALS) process.off(s, forward);
      if (signal !== null) resolve(128 + constants.signals[signal]);
      else resolve(exitCode ?? 1);
    });
  });
  process.off('SIGUSR1', onReopen);
  await running.stop(`command exited with ${code}`);
  if (!opts.quiet) writeTo(process.stderr, `${summary(mock)}\n`);
  const problem = running.transcriptProblem();
  if (problem !== undefined) {
    writeTo(process.stderr, `cimd2-mock: ${problem}\n`);
    if (code === 0) code = 1;
  }
  if (opts.failOnFindings === true && mock.findingErrors > 0) {
    const n = mock.findingErrors;
    writeTo(
      process.stderr,
      `cimd2-mock: the client judge recorded ${n} error-severity finding${n === 1 ? '' : 's'} (--fail-on-findings)\n`,
    );
    if (code === 0) code = 1;
  }
  if (expectations !== undefined) {
    const result = runExpectations(mock.transcript, expectations);
    if (!result.passed) {
      process.stderr.write(`${formatFailures(result)}\n`);
      return code === 0 ? 1 : code;
    }
    process.stderr.write(
      `cimd2-mock: all ${expectations.expectations.length} expectations passed\n`,
    );
  }
  return code;
}
