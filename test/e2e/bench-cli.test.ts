/** `cimd2-mock bench`, the built CLI, against a mock started by the built CLI. */
import { expect } from 'chai';
import { runCli, spawnCli, type CliProcess } from '../helpers/cli.js';

describe('cimd2-mock bench (e2e)', function () {
  this.timeout(30_000);
  let mock: CliProcess;
  let port: string;

  before(async () => {
    mock = spawnCli(['--port', '0', '--no-watch', '--quiet']);
    const line = await mock.firstLine();
    port = /:(\d+)$/.exec(line)![1]!;
  });

  after(async () => {
    mock.child.kill('SIGTERM');
    await mock.exit();
  });

  it('prints one JSON result with --json and exits 0 when every submit was accepted', async () => {
    const r = await runCli([
      'bench',
      '--port',
      port,
      '--user',
      'shop',
      '--password',
      'secret',
      '--connections',
      '2',
      '--window',
      '8',
      '--count',
      '200',
      '--json',
    ]);
    expect(r.code, r.stderr).to.equal(0);
    const result = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(result).to.include({
      protocol: 'cimd2',
      connections: 2,
      window: 8,
      sent: 200,
      answered: 200,
      ok: 200,
      errors: 0,
    });
    expect(result['latency']).to.have.keys('count', 'mean', 'p50', 'p90', 'p95', 'p99', 'max');
  });

  it('prints throughput, latency percentiles and errors as text by default', async () => {
    const r = await runCli([
      'bench',
      '--port',
      port,
      '--user',
      'u',
      '--password',
      'p',
      '--duration',
      '0.3',
    ]);
    expect(r.code, r.stderr).to.equal(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).to.equal(
      `cimd2-mock bench → 127.0.0.1:${port} (cimd2), 1 connection × window 1`,
    );
    expect(lines[1]).to.match(/^ {2}submits {5}[\d,]+ sent, [\d,]+ answered, [\d,]+ ok, 0 errors$/);
    expect(lines[2]).to.match(/^ {2}throughput {2}[\d,]+ submits\/s over 0\.\d{3} s$/);
    expect(lines[3]).to.match(
      /^ {2}latency {5}p50 [\d.]+ ms · p90 [\d.]+ ms · p99 [\d.]+ ms · max [\d.]+ ms$/,
    );
    expect(lines).to.have.length(4);
  });

  it('exits 2 on --count together with --duration, and on a text longer than one SMS', async () => {
    const both = await runCli([
      'bench',
      '--user',
      'u',
      '--password',
      'p',
      '--count',
      '5',
      '--duration',
      '1',
    ]);
    expect(both.code).to.equal(2);
    expect(both.stderr).to.include(
      "option '--count <n>' cannot be used with option '--duration <seconds>'",
    );
    const long = await runCli([
      'bench',
      '--port',
      port,
      '--user',
      'u',
      '--password',
      'p',
      '--text',
      'x'.repeat(200),
    ]);
    expect(long.code).to.equal(2);
    expect(long.stderr).to.match(/^cimd2-mock: --text: text needs 200 septets/);
  });

  it('exits 1 with one line when nothing listens', async () => {
    const r = await runCli(['bench', '--port', '1', '--user', 'u', '--password', 'p']);
    expect(r.code).to.equal(1);
    expect(r.stderr).to.match(/^cimd2-mock: cannot connect to 127\.0\.0\.1:1: .*ECONNREFUSED.*\n$/);
  });
});
