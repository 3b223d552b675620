/**
 * `cimd2-mock send`: a one-shot CIMD2 client. Logs in, submits (unless only listening for MOs),
 * prints the 53, optionally waits for the final status report and for MO messages.
 */
import { getParam } from '../protocol/frame.js';
import { Param } from '../protocol/parameters.js';
import { StatusReportBits, errorText, isFinalStatus } from '../protocol/status-codes.js';
import type { TextEncoding } from '../protocol/user-data.js';
import {
  CimdClient,
  type DeliveredMessage,
  type StatusReportEvent,
} from '../testing/cimd-client.js';
import { CliError } from './output.js';

export interface SendOptions {
  host: string;
  port: number;
  user: string;
  password: string;
  to?: string;
  from?: string;
  text?: string;
  encoding?: TextEncoding;
  statusReport?: number | boolean;
  waitReport?: number;
  expectStatus?: string;
  waitMo?: number;
  timeout: number;
}

/**
 * 056 asked for by `--wait-report` without `--status-report`: a report for every final outcome
 * (expired 2, failed 4, delivered 8, cancelled 16, deleted 32); intermediate ones are not asked.
 */
export const FINAL_REPORT_BITS =
  StatusReportBits.ValidityExpired |
  StatusReportBits.DeliveryFailed |
  StatusReportBits.DeliverySuccessful |
  StatusReportBits.Cancelled |
  StatusReportBits.Deleted;

function reportLine(r: StatusReportEvent): string {
  const ec = r.statusErrorCode === undefined ? '' : ` 062=${r.statusErrorCode}`;
  return `23 status ${r.status} ${r.statusName} 021=${r.destination ?? ''} 060=${r.timestamp ?? ''}${ec} 063=${r.dischargeTime ?? ''}`;
}

function moLine(m: DeliveredMessage): string {
  const body =
    m.text !== undefined
      ? `text=${JSON.stringify(m.text)}`
      : `hex=${(m.bytes ?? Buffer.alloc(0)).toString('hex').toUpperCase()}`;
  const parts = m.parts.length > 1 ? ` parts=${m.parts.length}` : '';
  return `20 mo from=${m.originator ?? ''} to=${m.destination ?? ''}${parts} ${body}`;
}

/** Checks the combination of options; throws a usage error (exit 2). */
function checkUsage(opts: SendOptions): void {
  const submitting = opts.to !== undefined || opts.text !== undefined;
  if (submitting && (opts.to === undefined || opts.text === undefined))
    throw new CliError(`send: ${opts.to === undefined ? '--to' : '--text'} is missing`, 2);
  if (!submitting && opts.waitMo === undefined)
    throw new CliError('send: give --to and --text (or --wait-mo SECONDS to only receive)', 2);
  if (!submitting && (opts.waitReport !== undefined || opts.statusReport !== undefined))
    throw new CliError('send: status reports need a submit (--to and --text)', 2);
  if (opts.expectStatus !== undefined && opts.waitReport === undefined)
    throw new CliError('send: --expect-status needs --wait-report SECONDS', 2);
}

/**
 * Returns the exit code: 0 when every part was accepted, the final report (when waited for)
 * has the expected status, and an MO came (when waited for); 1 otherwise.
 */
export async function send(opts: SendOptions): Promise<number> {
  checkUsage(opts);
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
    const loggedInAt = Date.now();
    // MOs are printed as they come, from login on (acknowledged by the client).
    let mos = 0;
    if (opts.waitMo !== undefined) {
      client.on('message', (m) => {
        mos++;
        process.stdout.write(`${moLine(m)}\n`);
      });
    }
    let code = 0;
    if (opts.to !== undefined && opts.text !== undefined)
      code = await submit(client, { ...opts, to: opts.to, text: opts.text });
    if (opts.waitMo !== undefined) {
      const left = loggedInAt + opts.waitMo * 1000 - Date.now();
      if (left > 0) await new Promise((resolve) => setTimeout(resolve, left));
      if (mos === 0) {
        process.stdout.write(`no MO within ${opts.waitMo} s\n`);
        code = 1;
      }
    }
    return code;
  } finally {
    await client.logout().catch(() => client.close());
  }
}

async function submit(
  client: CimdClient,
  opts: SendOptions & { to: string; text: string },
): Promise<number> {
  const srr =
    opts.statusReport === true
      ? 14
      : typeof opts.statusReport === 'number'
        ? opts.statusReport
        : opts.waitReport !== undefined
          ? FINAL_REPORT_BITS
          : undefined;
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
  if (opts.waitReport === undefined) return 0;
  return waitFinal(
    client,
    result.parts.map((p) => p.timestamp),
    opts.waitReport,
    {
      expect: opts.expectStatus ?? 'delivered',
    },
  );
}

/**
 * Waits for a final status report (intermediate ones such as in-process are printed and waited
 * past) for each submitted part; 0 when every final status is `expect`.
 */
async function waitFinal(
  client: CimdClient,
  timestamps: readonly (string | undefined)[],
  seconds: number,
  options: { expect: string },
): Promise<number> {
  const open = new Set(timestamps.filter((t): t is string => t !== undefined));
  if (open.size === 0) open.add('');
  const deadline = Date.now() + seconds * 1000;
  let code = 0;
  while (open.size > 0) {
    let report: StatusReportEvent;
    try {
      report = await client.nextStatusReport({
        timeoutMs: Math.max(1, deadline - Date.now()),
        match: (r) => open.has(r.timestamp ?? '') || open.has(''),
      });
    } catch {
      process.stdout.write(`no final status report within ${seconds} s\n`);
      return 1;
    }
    process.stdout.write(`${reportLine(report)}\n`);
    if (!isFinalStatus(report.status)) continue;
    open.delete(open.has('') ? '' : (report.timestamp ?? ''));
    if (report.statusName !== options.expect) code = 1;
  }
  if (code !== 0) process.stdout.write(`final status is not ${options.expect}\n`);
  return code;
}
