/** `cimd2-mock run --fail-on-findings` with the built CLI: the exit code and the summary line. */
import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../helpers/cli.js';

/** A client that logs in with packet number `pn` (raw bytes, no checksum) and logs out. */
function client(pn: string): string {
  return [
    'const p = process.env;',
    'const s = require("net").connect(+p.CIMD2_MOCK_PORT, p.CIMD2_MOCK_HOST);',
    'let got = "";',
    `s.write("\\x0201:${pn}\\t010:shop\\t011:secret\\t\\x03");`,
    's.on("data", (d) => {',
    '  got += d.toString("latin1");',
    `  if (got.includes("51:${pn}") && !got.includes("02:")) { got += "02:"; s.write("\\x0202:${pn === '001' ? '003' : '005'}\\t\\x03"); }`,
    '});',
    's.on("close", () => process.exit(0));',
  ].join('\n');
}

describe('cimd2-mock run --fail-on-findings (e2e)', function () {
  this.timeout(30_000);
  let dir: string;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'cimd2-mock-judge-'));
  });

  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('exits 1 when the client broke a rule, naming the count; the summary lists the finding', async () => {
    const r = await runCli([
      'run',
      '--fail-on-findings',
      '--',
      process.execPath,
      '-e',
      client('002'),
    ]);
    expect(r.code, r.stderr).to.equal(1);
    expect(r.stderr).to.contain(
      'cimd2-mock: the client judge recorded 1 error-severity finding (--fail-on-findings)',
    );
    expect(r.stderr).to.contain('  findings: pn-not-odd 1 error');
  });

  it('exits 0 for a clean client, and without the flag', async () => {
    const clean = await runCli([
      'run',
      '--fail-on-findings',
      '--',
      process.execPath,
      '-e',
      client('001'),
    ]);
    expect(clean.code, clean.stderr).to.equal(0);
    expect(clean.stderr).to.contain('  findings: none');
    const noFlag = await runCli(['run', '--', process.execPath, '-e', client('002')]);
    expect(noFlag.code, noFlag.stderr).to.equal(0);
  });

  it('exits 0 when the scenario turned the check off (checks: { all: off })', async () => {
    const scenario = join(dir, 'quiet.yaml');
    writeFileSync(scenario, 'version: 1\nchecks:\n  all: off\nrules: []\n');
    const r = await runCli([
      'run',
      '--fail-on-findings',
      '--scenario',
      scenario,
      '--',
      process.execPath,
      '-e',
      client('002'),
    ]);
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stderr).to.contain('  findings: none');
  });
});
