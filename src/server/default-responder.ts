import { Op } from '../protocol/operations.js';
import { StatusCode, wantsStatusReport } from '../protocol/status-codes.js';
import type { Decision, RequestContext, Responder } from './ports.js';

/**
 * The server's built-in behaviour when no scenario decides: accept every login, answer every
 * request positively, and send a `delivered` status report after `statusReportDelayMs` when the
 * submit's 056 asks for successful-delivery reports.
 */
export function createDefaultResponder(options: { statusReportDelayMs?: number } = {}): Responder {
  const delay = options.statusReportDelayMs ?? 100;
  return {
    decide(ctx: RequestContext): Decision {
      const srr = ctx.fields.statusReportRequest ?? 0;
      const report =
        ctx.frame.op === Op.Submit && wantsStatusReport(srr, StatusCode.DeliverySuccessful);
      return {
        steps: [{ kind: 'respond' }],
        afterwards: report
          ? [{ kind: 'statusReport', afterMs: delay, status: StatusCode.DeliverySuccessful }]
          : [],
        ruleId: null,
        explanation: report
          ? 'built-in default: accept, and report delivery as 056 asks'
          : 'built-in default: accept',
      };
    },
  };
}
