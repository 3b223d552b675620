/**
 * The cimd2-mock command line. Exit codes: 0 success, 1 failure (validation, assertions, a
 * failed command), 2 usage or configuration error. Errors are one readable line on stderr.
 */
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { intIn, numberAtLeast } from './args.js';
import { Cimd2MockError } from '../errors.js';
import { TEXT_ENCODINGS } from '../protocol/encodings.js';
import { VERSION } from '../mock-smsc.js';
import { ScenarioError, formatIssue } from '../scenario/index.js';
import { addBenchOptions, bench, type BenchOptions } from './bench.js';
import { CliError } from './output.js';
import { run, type RunOptions } from './run.js';
import { explain, validate } from './scenario-commands.js';
import { send, type SendOptions } from './send.js';
import { addServeOptions, serve, type ServeOptions } from './serve.js';
import { assertCommand, diffCommand, showCommand } from './transcript-commands.js';

function program(): Command {
  const p = new Command('cimd2-mock')
    .description('A rules-driven, scriptable mock SMSC speaking Nokia CIMD2')
    .version(VERSION)
    .showHelpAfterError('(run cimd2-mock --help for usage)')
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });

  addServeOptions(
    p.command('serve', { isDefault: true }).description('start the mock SMSC (default command)'),
  ).action(async (opts: ServeOptions) => {
    await serve(opts);
  });

  addServeOptions(
    p
      .command('run')
      .description(
        'start the mock, run <command…> with CIMD2_MOCK_HOST/PORT set, stop, exit with its status',
      )
      .argument('<command...>', 'the command to run (put it after --)')
      .option(
        '--assert <expectations>',
        'check the transcript against this expectations file afterwards',
      ),
  ).action(async (command: string[], opts: RunOptions) => {
    process.exitCode = await run(command, opts);
  });

  p.command('validate')
    .description('validate scenario files (file:line:col messages; exit 1 on any issue)')
    .argument('<files...>')
    .action(async (files: string[]) => {
      process.exitCode = await validate(files);
    });

  p.command('explain')
    .description('describe each rule of a scenario in plain words')
    .argument('<file>')
    .action(async (file: string) => {
      process.exitCode = await explain(file);
    });

  p.command('send')
    .description('one-shot CIMD2 client: log in, submit, print the 53 and any status report')
    .option('--host <host>', 'SMSC host', '127.0.0.1')
    .addOption(
      new Option('--port <port>', 'SMSC port').default(9971).argParser(intIn(0, 65535, 'port')),
    )
    .requiredOption('--user <user>', 'user identity (010)')
    .requiredOption('--password <password>', 'password (011)')
    .requiredOption('--to <number>', 'destination address (021)')
    .option('--from <sender>', 'originator (023, or 027 when alphanumeric)')
    .requiredOption('--text <text>', 'message text (split when long)')
    .addOption(new Option('--encoding <encoding>', 'text encoding').choices(TEXT_ENCODINGS))
    .addOption(
      new Option('--status-report [bits]', 'ask for status reports (056; default 14)').argParser(
        bits,
      ),
    )
    .addOption(
      new Option('--wait-report <seconds>', 'wait this long for the status report').argParser(
        numberAtLeast('seconds'),
      ),
    )
    .addOption(
      new Option('--timeout <seconds>', 'response timeout')
        .default(10)
        .argParser(numberAtLeast('seconds')),
    )
    .action(async (opts: SendOptions) => {
      process.exitCode = await send(opts);
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
    .action(async (transcript: string, expectations: string) => {
      process.exitCode = await assertCommand(transcript, expectations);
    });

  p.command('diff')
    .description(
      'compare two transcripts, ignoring time stamps, session ids and server packet numbers',
    )
    .argument('<golden>')
    .argument('<actual>')
    .option('--ignore <fields...>', 'more field paths to ignore')
    .option('--update', 'rewrite the golden file with the actual transcript')
    .action(
      async (golden: string, actual: string, opts: { ignore?: string[]; update?: boolean }) => {
        process.exitCode = await diffCommand(golden, actual, opts);
      },
    );

  p.command('show')
    .description('print a transcript as a readable ladder of the conversation')
    .argument('<transcript>')
    .option('--no-color', 'plain text')
    .action(async (transcript: string, opts: { color: boolean }) => {
      process.exitCode = await showCommand(transcript, opts);
    });
  return p;
}

function bits(value: string | undefined): number {
  const n = Number(value ?? 14);
  if (!Number.isInteger(n) || n < 0 || n > 63)
    throw new InvalidArgumentError('status report bits must be 0–63.');
  return n;
}

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
      return error.code.startsWith('ERR_CONFIG') ? 2 : 1;
    }
    process.stderr.write(`cimd2-mock: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
}

const code = await main(process.argv.slice(2));
// Exit explicitly: a watcher or a half-closed socket must not keep a finished command alive.
// stdout and stderr are synchronous for files and pipes on Linux, so nothing is lost.
process.exit(code);
