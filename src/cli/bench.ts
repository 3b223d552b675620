/** `cimd2-mock bench`: load-test any CIMD2 SMSC and print throughput, latency and errors. */
import { Option, type Command } from 'commander';
import { intIn, numberAtLeast, seconds } from './args.js';
import type { LoadResult } from '../bench/index.js';
import { EncodingError, ReservedByteError } from '../errors.js';
import { CliError } from './output.js';

/** Parsed options of `cimd2-mock bench`. */
export interface BenchOptions {
  host: string;
  port: number;
  user: string;
  password: string;
  connections: number;
  window: number;
  count?: number;
  duration?: number;
  rate?: number;
  to: string;
  text: string;
  timeout: number;
  json?: boolean;
}

export function addBenchOptions(cmd: Command): Command {
  return cmd
    .addOption(new Option('--host <host>', 'SMSC host').default('127.0.0.1').env('CIMD2_MOCK_HOST'))
    .addOption(
      new Option('--port <port>', 'SMSC port')
        .default(9971)
        .env('CIMD2_MOCK_PORT')
        .argParser(intIn(1, 65535, 'port')),
    )
    .requiredOption('--user <user>', 'user identity (010)')
    .requiredOption('--password <password>', 'password (011)')
    .addOption(
      new Option('--connections <n>', 'concurrent connections')
        .default(1)
        .argParser(intIn(1, 50_000, 'connections')),
    )
    .addOption(
      new Option('--window <n>', 'submits in flight per connection (019; 1 = stop-and-wait)')
        .default(1)
        .argParser(intIn(1, 128, 'window')),
    )
    .addOption(
      new Option('--count <n>', 'submits to send in total (default 10000)')
        .argParser(intIn(1, 1_000_000_000, 'count'))
        .conflicts('duration'),
    )
    .addOption(
      new Option('--duration <seconds>', 'send for this long instead of a count').argParser(
        seconds('duration', { positive: true }),
      ),
    )
    .addOption(
      new Option(
        '--rate <n>',
        'pace to n submits per second (default: as fast as answered)',
      ).argParser(numberAtLeast('rate', { positive: true })),
    )
    .option('--to <number>', 'destination address (021)', '+358401234567')
    .option('--text <text>', 'message text (one SMS)', 'Hello from cimd2-mock bench')
    .addOption(
      new Option('--timeout <seconds>', 'a submit unanswered this long counts as an error')
        .default(10)
        .argParser(seconds('timeout', { positive: true })),
    )
    .option('--json', 'print the result as one JSON object');
}

function ms(n: number): string {
  return n >= 100 ? n.toFixed(0) : n >= 10 ? n.toFixed(1) : n.toFixed(2);
}

function grouped(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

/** The human-readable report of one run (what `bench` prints without `--json`). */
export function formatLoadResult(r: LoadResult): string {
  const plural = (n: number, w: string): string => `${grouped(n)} ${w}${n === 1 ? '' : 's'}`;
  const lines = [
    `cimd2-mock bench → ${r.host}:${r.port} (${r.protocol}), ${plural(r.connections, 'connection')} × window ${r.window}`,
    `  submits     ${grouped(r.sent)} sent, ${grouped(r.answered)} answered, ${grouped(r.ok)} ok, ${plural(r.errors, 'error')}`,
    `  throughput  ${grouped(r.throughput)} submits/s over ${(r.elapsedMs / 1000).toFixed(3)} s`,
    `  latency     p50 ${ms(r.latency.p50)} ms · p90 ${ms(r.latency.p90)} ms · p99 ${ms(r.latency.p99)} ms · max ${ms(r.latency.max)} ms`,
  ];
  const errors = Object.entries(r.errorCounts);
  if (errors.length > 0)
    lines.push(`  errors      ${errors.map(([k, v]) => `${k} ×${grouped(v)}`).join(', ')}`);
  return lines.join('\n');
}

/** Runs `bench`; resolves to the exit code: 0 when every submit was answered positively, else 1. */
export async function bench(opts: BenchOptions): Promise<number> {
  // The load generator is loaded here, not with the CLI (the mock's start-up does not need it).
  const { LoadError, runLoad } = await import('../bench/index.js');
  let result: LoadResult;
  try {
    result = await runLoad({
      host: opts.host,
      port: opts.port,
      user: opts.user,
      password: opts.password,
      connections: opts.connections,
      window: opts.window,
      ...(opts.duration !== undefined
        ? { durationMs: opts.duration * 1000 }
        : { count: opts.count ?? 10_000 }),
      ...(opts.rate !== undefined ? { rate: opts.rate } : {}),
      destination: opts.to,
      text: opts.text,
      timeoutMs: opts.timeout * 1000,
    });
  } catch (error) {
    if (error instanceof EncodingError) throw new CliError(`--text: ${error.message}`, 2);
    if (error instanceof ReservedByteError) throw new CliError(error.message, 2);
    if (error instanceof LoadError) throw new CliError(error.message, 1);
    throw error;
  }
  process.stdout.write(
    opts.json === true ? `${JSON.stringify(result)}\n` : `${formatLoadResult(result)}\n`,
  );
  return result.errors === 0 && result.answered > 0 ? 0 : 1;
}
