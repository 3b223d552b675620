/** `--memory-transcript SIZE`: the CLI bounds the in-memory transcript; GET /transcript says what left. */
import { expect } from 'chai';
import { CimdClient } from '../../src/testing/cimd-client.js';
import { runCli, spawnCli, type CliProcess } from '../helpers/cli.js';

describe('cimd2-mock --memory-transcript', function () {
  this.timeout(30_000);
  let p: CliProcess | undefined;

  afterEach(async () => {
    if (p?.child.exitCode === null) {
      p.child.kill('SIGTERM');
      await p.exit();
    }
    p = undefined;
  });

  it('refuses a size it cannot read with one line and exit 2', async () => {
    const r = await runCli(['--port', '0', '--memory-transcript', '12parsecs']);
    expect(r.code).to.equal(2);
    expect(r.stderr.split('\n')[0]).to.match(/memory transcript must be a size such as 64MiB/);
  });

  it('keeps about SIZE bytes in memory: older records leave and /transcript says X-Truncated', async () => {
    p = spawnCli(['--port', '0', '--admin-port', '0', '--memory-transcript', '64KiB']);
    const out = await p.waitStdout((s) => /admin on http:\/\/\S+\n/.test(s));
    const port = Number(/listening on 127\.0\.0\.1:(\d+)/.exec(out)?.[1]);
    const admin = /admin on (http:\/\/\S+)\n/.exec(out)?.[1] ?? '';
    const client = await CimdClient.connect({ port });
    await client.login('shop', 'secret');
    for (let i = 0; i < 300; i++)
      await client.submit({ destination: '+358401234567', text: `m${i}` });
    await client.logout();
    await client.close();
    const all = await fetch(`${admin}/transcript?all=true&limit=100000`);
    expect(all.headers.get('x-truncated')).to.equal('true');
    const lines = (await all.text()).trimEnd().split('\n');
    // Memory holds at most SIZE (+ a chunk of slack), frames packed: their JSONL is larger.
    const stats = (await (await fetch(`${admin}/stats`)).json()) as {
      transcriptMemoryBytes: number;
    };
    expect(stats.transcriptMemoryBytes).to.be.at.most(64 * 1024 + 8 * 1024);
    expect(stats.transcriptMemoryBytes).to.be.at.least(32 * 1024);
    const bytes = lines.reduce((n, l) => n + Buffer.byteLength(l) + 1, 0);
    expect(bytes).to.be.at.least(stats.transcriptMemoryBytes);
    expect(lines.length).to.be.below(300 * 4);
    const seqs = lines.map((l) => (JSON.parse(l) as { seq: number }).seq);
    expect(seqs[0]).to.be.above(1);
    const last = seqs.at(-1) ?? 0;
    const tail = await fetch(`${admin}/transcript?since=${last - 3}`);
    expect(tail.headers.get('x-truncated')).to.equal('false');
    expect((await tail.text()).trimEnd().split('\n')).to.have.length(3);
  });
});
