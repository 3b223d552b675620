/**
 * The cimd2-mock command line. Exit codes: 0 success, 1 failure (validation, assertions, a
 * failed command), 2 usage or configuration error. Errors are one readable line on stderr.
 */
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { intIn, seconds } from './args.js';
import { Cimd2MockError } from '../errors.js';
import { TEXT_ENCODINGS } from '../protocol/encodings.js';
import { STATUS_NAMES } from '../protocol/status-codes.js';
import { VERSION } from '../mock-smsc.js';
import { ScenarioError, formatIssue } from '../scenario/index.js';
import { addBenchOptions, bench, type BenchOptions } from './bench.js';
import { CliError } from './output.js';
import type * as RunModule from './run.js';
import type { RunOptions } from './run.js';
import type * as ScenarioCommandsModule from './scenario-commands.js';
import type * as SendModule from './send.js';
import type { SendOptions } from './send.js';
import type * as TranscriptCommandsModule from './transcript-commands.js';
import { addServeOptions, serve, type ServeOptions } from './serve.js';

// The other commands' modules are loaded when their command runs: the mock's start-up (the
// default command) does not wait for them.
const runCommand = (): Promise<typeof RunModule> => import('./run.js');
const scenarioCommands = (): Promise<typeof ScenarioCommandsModule> =>
  import('./scenario-commands.js');
const sendCommand = (): Promise<typeof SendModule> => import('./send.js');
const transcriptCommands = (): Promise<typeof TranscriptCommandsModule> =>
  import('./transcript-commands.js');

function program(): Command {
  const p = new Command('cimd2-mock')
    .description('A rules-driven, scriptable mock SMSC speaking Nokia CIMD2')
    .version(VERSION)
    .exitOverride()
    .configureOutput({
      writeErr: (s) => process.stderr.write(s),
      // Usage errors: one line naming the flag or value, then where help is.
      outputError: (s, write) => {
        write(`cimd2-mock: ${s.trim().replace(/^error: /, '')} (see cimd2-mock --help)\n`);
      },
    });

  addServeOptions(
    p.command('serve', { isDefault: true }).description('start the mock SMSC (default command)'),
  ).action(async (opts: ServeOptions) => {
    await serve(opts);
  });

  addServeOptions(
    p
      .command('run')
      .description(
        'start the mock (ephemeral port), run <command…> with CIMD2_MOCK_HOST/PORT set, stop, exit with its status',
      )
      .argument('<command...>', 'the command to run (put it after --)')
      .option(
        '--assert <expectations>',
        'check the transcript against this expectations file afterwards',
      )
      .option(
        '--fail-on-findings',
        'exit 1 when the client judge recorded an error-severity finding (docs/judge.md)',
      ),
    { port: 0 },
  ).action(async (command: string[], opts: RunOptions) => {
    process.exitCode = await (await runCommand()).run(command, opts);
  });

  p.command('validate')
    .description('validate scenario files (file:line:col messages; exit 1 on any issue)')
    .argument('<files...>')
    .action(async (files: string[]) => {
      process.exitCode = await (await scenarioCommands()).validate(files);
    });

  p.command('explain')
    .description('describe each rule of a scenario in plain words')
    .argument('<file>')
    .action(async (file: string) => {
      process.exitCode = await (await scenarioCommands()).explain(file);
    });

  p.command('send')
    .description(
      'one-shot CIMD2 client: log in, submit, print the 53, the final status report and MOs',
    )
    .addOption(new Option('--host <host>', 'SMSC host').default('127.0.0.1').env('CIMD2_MOCK_HOST'))
    .addOption(
      new Option('--port <port>', 'SMSC port')
        .default(9971)
        .env('CIMD2_MOCK_PORT')
        .argParser(intIn(0, 65535, 'port')),
    )
    .requiredOption('--user <user>', 'user identity (010)')
    .requiredOption('--password <password>', 'password (011)')
    .option('--to <number>', 'destination address (021)')
    .option('--from <sender>', 'originator (023, or 027 when alphanumeric)')
    .option('--text <text>', 'message text (split when long)')
    .addOption(new Option('--encoding <encoding>', 'text encoding').choices(TEXT_ENCODINGS))
    .addOption(
      new Option('--status-report [bits]', 'ask for status reports (056; default 14)').argParser(
        bits,
      ),
    )
    .addOption(
      new Option(
        '--wait-report <seconds>',
        'ask for reports of final outcomes (056=62 unless --status-report) and wait this long for the final one; exit 1 unless delivered',
      ).argParser(seconds('wait report', { positive: true })),
    )
    .addOption(
      new Option(
        '--expect-status <name>',
        'the final status --wait-report expects (default delivered)',
      ).choices(Object.values(STATUS_NAMES)),
    )
    .addOption(
      new Option(
        '--wait-mo <seconds>',
        'print MO messages (20) that arrive within this many seconds of login; exit 1 if none',
      ).argParser(seconds('wait mo', { positive: true })),
    )
    .addOption(
      new Option('--timeout <seconds>', 'response timeout')
        .default(10)
        .argParser(seconds('timeout', { positive: true })),
    )
    .action(async (opts: SendOptions) => {
      process.exitCode = await (await sendCommand()).send(opts);
    });

  addBenchOptions(
    p
      .command('bench')
      .description('load-test a CIMD2 SMSC: throughput, p50/p90/p99/max latency, errors'),
  ).action(async (opts: BenchOptions) => {
    process.exitCode = await bench(opts);
  });

  p.command('assert')
    .description('check a transcript against an expectations file (exit 1 on failure)')
    .argument('<transcript>')
    .argument('<expectations>')
    .option('--all', 'check every record, not only those after the last reset')
    .action(async (transcript: string, expectations: string, opts: { all?: boolean }) => {
      process.exitCode = await (
        await transcriptCommands()
      ).assertCommand(transcript, expectations, opts);
    });

  p.command('diff')
    .description(
      'compare two transcripts, ignoring time stamps, session ids and server packet numbers',
    )
    .argument('<golden>')
    .argument('<actual>')
    .option(
      '--ignore <paths>',
      'more field paths to ignore (comma-separated; repeatable; before or after the files)',
      collect,
    )
    .option('--update', 'rewrite the golden file with the actual transcript')
    .action(
      async (golden: string, actual: string, opts: { ignore?: string[]; update?: boolean }) => {
        process.exitCode = await (await transcriptCommands()).diffCommand(golden, actual, opts);
      },
    );

  p.command('show')
    .description('print a transcript as a readable ladder of the conversation (- = stdin)')
    .argument('<transcript>')
    .option('--no-color', 'plain text')
    .option(
      '-f, --follow',
      'follow a growing transcript file, printing lines as records arrive, until server-stop or SIGINT/SIGTERM',
    )
    .action(async (transcript: string, opts: { color: boolean; follow?: boolean }) => {
      process.exitCode = await (await transcriptCommands()).showCommand(transcript, opts);
    });
  return p;
}

/** `--ignore a,b --ignore c` → [a, b, c]. */
function collect(value: string, previous: string[] | undefined): string[] {
  const more = value
    .split(',')
    .map((v) => v.trim())
    .filter((v) => v !== '');
  if (more.length === 0) throw new InvalidArgumentError('expected a field path.');
  return [...(previous ?? []), ...more];
}

function bits(value: string | undefined): number {
  const n = Number(value ?? 14);
  if (!Number.isInteger(n) || n < 0 || n > 63)
    throw new InvalidArgumentError('status report bits must be 0–63.');
  return n;
}

const LISTEN_CODES = new Set(['ERR_CONFIG_LISTEN', 'ERR_CONFIG_ADMIN_LISTEN']);

/** Runs the CLI with `argv` (without node and script); resolves to the exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  try {
    await program().parseAsync([...argv], { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and version end here too (exit code 0); commander printed the message already.
      return error.exitCode === 0 ? 0 : 2;
    }
    if (error instanceof CliError) {
      process.stderr.write(`cimd2-mock: ${error.message}\n`);
      return error.exitCode;
    }
    if (error instanceof ScenarioError) {
      for (const i of error.issues) process.stderr.write(`${formatIssue(i)}\n`);
      return 1;
    }
    if (error instanceof Cimd2MockError) {
      process.stderr.write(`cimd2-mock: ${error.message}\n`);
      // A port that cannot be bound is a failure of the run (1), not a usage error (2).
      return error.code.startsWith('ERR_CONFIG') && !LISTEN_CODES.has(error.code) ? 2 : 1;
    }
    process.stderr.write(`cimd2-mock: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
}

const code = await main(process.argv.slice(2));
// Exit explicitly: a watcher or a half-closed socket must not keep a finished command alive.
// stdout and stderr are synchronous for files and pipes on Linux, so nothing is lost.
process.exit(code);
