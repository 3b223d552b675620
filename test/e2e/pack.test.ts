/**
 * The package as a user gets it: `npm pack`, the tarball's contents (dist with the web
 * console, bin, schemas, scenarios, docs, README, CHANGELOG; no sources, tests or benchmarks),
 * then an install into an empty folder, `npx cimd2-mock --version`, and a one-submit `send`
 * against a mock started from that install. Needs the build (`npm run test:e2e` builds first) and the npm cache or registry
 * for the five runtime dependencies.
 */
import { expect } from 'chai';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from '../helpers/cli.js';

const VERSION = (
  JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }
).version;

interface PackResult {
  filename: string;
  files: { path: string }[];
}

function npm(args: readonly string[], cwd: string, timeout = 120_000): string {
  const r = spawnSync('npm', [...args], { cwd, encoding: 'utf8', timeout });
  if (r.status !== 0) {
    throw new Error(`npm ${args.join(' ')} exited ${String(r.status ?? r.signal)}:\n${r.stderr}`);
  }
  return r.stdout;
}

/** Resolves with the port of the readiness line of a mock started from the installed package. */
function readiness(child: ChildProcess): Promise<number> {
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => {
      reject(new Error(`no readiness line in 15 s: ${out}`));
    }, 15_000);
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString('utf8');
      const m = /^cimd2-mock listening on 127\.0\.0\.1:(\d+)$/m.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the mock exited ${String(code)} before it listened: ${out}`));
    });
  });
}

describe('npm package', function () {
  this.timeout(300_000);
  let work: string;
  let pack: PackResult;

  before(() => {
    work = mkdtempSync(join(tmpdir(), 'cimd2-pack-'));
    const json = npm(['pack', '--json', '--pack-destination', work], ROOT);
    const parsed = JSON.parse(json) as PackResult[];
    const first = parsed[0];
    if (!first) throw new Error(`npm pack printed no result: ${json}`);
    pack = first;
  });

  after(() => {
    rmSync(work, { recursive: true, force: true });
  });

  it('ships the build, the CLI, schemas, scenarios and docs, and no sources, tests or benchmarks', () => {
    const paths = pack.files.map((f) => f.path);
    expect(paths).to.include.members([
      'package.json',
      'README.md',
      'CHANGELOG.md',
      'bin/cimd2-mock.js',
      'dist/index.js',
      'dist/index.d.ts',
      'dist/cli/main.js',
      'dist/protocol/index.js',
      'dist/testing/index.js',
      'dist/console/index.html',
      'schemas/scenario.schema.json',
      'schemas/transcript.schema.json',
      'schemas/expectations.schema.json',
      'schemas/control-api.openapi.json',
      'scenarios/default.yaml',
      'docs/protocol.md',
    ]);
    // The web console: its page and the hashed script and style it links.
    expect(paths.filter((p) => /^dist\/console\/console-\w+\.(js|css)$/.test(p))).to.have.length(2);
    const unwanted = paths.filter((p) =>
      /^(src|test|bench|scripts|coverage|\.ci)\/|\.map$|tsconfig|eslint|\.test\./.test(p),
    );
    expect(unwanted).to.deep.equal([]);
  });

  it('installs into an empty folder; npx cimd2-mock runs; send gets a 53 from a mock of that install', async () => {
    const app = join(work, 'app');
    mkdirSync(app);
    writeFileSync(join(app, 'package.json'), '{ "name": "pack-test", "private": true }\n');
    npm(
      ['install', join(work, pack.filename), '--no-audit', '--no-fund', '--prefer-offline'],
      app,
      240_000,
    );

    const version = spawnSync('npx', ['--no-install', 'cimd2-mock', '--version'], {
      cwd: app,
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(version.status, version.stderr).to.equal(0);
    expect(version.stdout.trim()).to.equal(VERSION);

    const bin = join(app, 'node_modules', '.bin', 'cimd2-mock');
    const mock = spawn(bin, ['--port', '0', '--no-watch', '--quiet'], { cwd: app });
    try {
      const port = await readiness(mock);
      const send = spawnSync(
        'npx',
        ['--no-install', 'cimd2-mock', 'send', '--port', String(port), '--user', 'shop'].concat([
          '--password',
          'secret',
          '--to',
          '+358401234567',
          '--text',
          'Hello',
        ]),
        { cwd: app, encoding: 'utf8', timeout: 30_000 },
      );
      expect(send.status, send.stderr).to.equal(0);
      expect(send.stdout).to.match(/^53 OK pn=003 021=\+358401234567 060=\d{12}$/m);
    } finally {
      if (mock.exitCode === null) {
        const exited = new Promise((resolve) => mock.once('exit', resolve));
        mock.kill('SIGTERM');
        await exited;
      }
    }
  });
});
