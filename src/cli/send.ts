/** `cimd2-mock send`: a one-shot CIMD2 client that prints the 53 and any status report. */
import { getParam } from '../protocol/frame.js';
import { Param } from '../protocol/parameters.js';
import { errorText } from '../protocol/status-codes.js';
import type { TextEncoding } from '../protocol/user-data.js';
import { CimdClient, type StatusReportEvent } from '../testing/cimd-client.js';
import { CliError } from './output.js';

export interface SendOptions {
  host: string;
  port: number;
  user: string;
  password: string;
  to: string;
  from?: string;
  text: string;
  encoding?: TextEncoding;
  statusReport?: number | boolean;
  waitReport?: number;
  timeout: number;
}

function reportLine(r: StatusReportEvent): string {
  const ec = r.statusErrorCode === undefined ? '' : ` 062=${r.statusErrorCode}`;
  return `23 status ${r.status} ${r.statusName} 021=${r.destination ?? ''} 060=${r.timestamp ?? ''}${ec} 063=${r.dischargeTime ?? ''}`;
}

/** Returns the exit code: 0 accepted (and report seen when waited for), 1 otherwise. */
export async function send(opts: SendOptions): Promise<number> {
  let client: CimdClient;
  try {
    client = await CimdClient.connect({
      host: opts.host,
      port: opts.port,
      responseTimeoutMs: opts.timeout * 1000,
    });
  } catch (error) {
    throw new CliError(
      `cannot connect to ${opts.host}:${opts.port}: ${(error as Error).message}`,
      1,
    );
  }
  try {
    try {
      await client.login(opts.user, opts.password);
    } catch (error) {
      throw new CliError(`login failed: ${(error as Error).message}`, 1);
    }
    const srr =
      opts.statusReport === true ? 14 : opts.statusReport === false ? undefined : opts.statusReport;
    const result = await client.submit({
      destination: opts.to,
      text: opts.text,
      ...(opts.from !== undefined ? { originator: opts.from } : {}),
      ...(opts.encoding !== undefined ? { encoding: opts.encoding } : {}),
      ...(srr !== undefined ? { statusReportRequest: srr } : {}),
    });
    for (const part of result.parts) {
      const r = part.response;
      if (part.errorCode === 0) {
        process.stdout.write(
          `${r.op} OK pn=${String(r.pn).padStart(3, '0')} 021=${getParam(r, Param.DestinationAddress) ?? ''} 060=${part.timestamp ?? ''}\n`,
        );
      } else {
        const code = getParam(r, Param.ErrorCode);
        const text =
          getParam(r, Param.ErrorText) ?? (code === undefined ? '' : errorText(Number(code)));
        process.stdout.write(
          `${r.op} ERROR pn=${String(r.pn).padStart(3, '0')} ${code ?? (r.op === 99 ? 'NACK' : '')} ${text}\n`,
        );
      }
    }
    if (!result.ok) return 1;
    const wait = opts.waitReport ?? (srr !== undefined ? 0 : undefined);
    if (wait !== undefined && wait > 0) {
      try {
        const report = await client.nextStatusReport({
          timeoutMs: wait * 1000,
          match: (r) => r.timestamp === result.timestamp,
        });
        process.stdout.write(`${reportLine(report)}\n`);
      } catch {
        process.stdout.write(`no status report within ${wait} s\n`);
        return 1;
      }
    }
    return 0;
  } finally {
    await client.logout().catch(() => client.close());
  }
}
