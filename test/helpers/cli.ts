import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const BIN = fileURLToPath(new URL('../../bin/cimd2-mock.js', import.meta.url));
export const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** A spawned CLI process with its output collected. */
export interface CliProcess {
  readonly child: ChildProcessWithoutNullStreams;
  stdout: string;
  stderr: string;
  /** Resolves with the first stdout line. */
  firstLine(timeoutMs?: number): Promise<string>;
  /** Resolves with stdout once `predicate` holds. */
  waitStdout(predicate: (s: string) => boolean, timeoutMs?: number): Promise<string>;
  /** Resolves with the exit code (signals as 128+n). */
  exit(timeoutMs?: number): Promise<number>;
}

export function spawnCli(
  args: readonly string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
): CliProcess {
  const child = spawn(process.execPath, [BIN, ...args], {
    cwd: options.cwd ?? ROOT,
    env: { ...process.env, ...options.env },
  });
  const p: CliProcess = {
    child,
    stdout: '',
    stderr: '',
    firstLine: async (timeoutMs = 10_000) => {
      const out = await p.waitStdout((s) => s.includes('\n'), timeoutMs);
      return out.slice(0, out.indexOf('\n'));
    },
    waitStdout: (predicate, timeoutMs = 10_000) =>
      new Promise((resolve, reject) => {
        if (predicate(p.stdout)) {
          resolve(p.stdout);
          return;
        }
        const timer = setTimeout(() => {
          cleanup();
          reject(
            new Error(
              `timeout waiting for stdout; stdout=${JSON.stringify(p.stdout)} stderr=${JSON.stringify(p.stderr)}`,
            ),
          );
        }, timeoutMs);
        const onData = (): void => {
          if (predicate(p.stdout)) {
            cleanup();
            resolve(p.stdout);
          }
        };
        const onExit = (): void => {
          cleanup();
          if (predicate(p.stdout)) resolve(p.stdout);
          else
            reject(
              new Error(
                `exited first; stdout=${JSON.stringify(p.stdout)} stderr=${JSON.stringify(p.stderr)}`,
              ),
            );
        };
        const cleanup = (): void => {
          clearTimeout(timer);
          child.stdout.off('data', onData);
          child.off('exit', onExit);
        };
        child.stdout.on('data', onData);
        child.on('exit', onExit);
      }),
    exit: (timeoutMs = 15_000) =>
      new Promise((resolve, reject) => {
        if (child.exitCode !== null) {
          resolve(child.exitCode);
          return;
        }
        const timer = setTimeout(() => {
          child.kill('SIGKILL');
          reject(new Error(`no exit within ${timeoutMs} ms; stderr=${JSON.stringify(p.stderr)}`));
        }, timeoutMs);
        child.on('close', (code, signal) => {
          clearTimeout(timer);
          resolve(code ?? (signal === 'SIGKILL' ? 137 : signal === 'SIGTERM' ? 143 : 1));
        });
      }),
  };
  child.stdout.setEncoding('utf8');
  child.stderr.setEncoding('utf8');
  child.stdout.on('data', (d: string) => (p.stdout += d));
  child.stderr.on('data', (d: string) => (p.stderr += d));
  return p;
}

/** Runs the CLI to completion. */
export async function runCli(
  args: readonly string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  const p = spawnCli(args, options);
  const code = await p.exit();
  return { code, stdout: p.stdout, stderr: p.stderr };
}
