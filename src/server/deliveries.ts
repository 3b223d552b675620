/**
 * Server-initiated messages: deliver messages (op 20, split into parts) and status reports
 * (op 23), sent through a session's OutboundWindow. Used by the component API
 * (`sendDeliverMessage`, `sendDeliverStatusReport`) and by the Scheduler.
 */
import { buildDeliverParts, type DeliverContent } from '../protocol/deliver-parts.js';
import type { Parameter } from '../protocol/frame.js';
import { Op } from '../protocol/operations.js';
import { Param } from '../protocol/parameters.js';
import type { OutboundFault } from './faults.js';
import type { MessageStore } from './message-store.js';
import type { OutboundResult } from './session-types.js';
import type { OutboundWindow } from './outbound-window.js';

/** Content and options of a deliver message (op 20, cimd2SendDeliverMessage). */
export interface DeliverMessage extends DeliverContent {
  /** 060; default the server clock now. */
  readonly timestamp?: string;
  /** Packet number of the first part; default the next server number. */
  readonly pn?: number;
  /** Reference for the concatenation UDH; default an 8-bit counter. */
  readonly reference?: number;
}

/** A deliver status report (op 23, cimd2SendDeliverStatusReport). */
export interface DeliverStatusReport {
  /** 060 of the submit the report is about. */
  readonly messageTimestamp: string;
  /** 021 of that submit. */
  readonly destination: string;
  /** 061 status code (4 delivered, 3 failed, 2 expired …). */
  readonly status: number;
  /** 062 status error code. */
  readonly statusErrorCode?: number;
  /** 063 discharge time; default the server clock now, but never before the 060. */
  readonly dischargeTime?: string;
  readonly pn?: number;
  readonly extraParameters?: readonly Parameter[];
}

/** Outcome of sendDeliverMessage / sendDeliverStatusReport. */
export interface DeliverResult {
  /** Packet numbers used, one per part. */
  readonly packetNumbers: readonly number[];
  /** True when the client answered every part. */
  readonly acknowledged: boolean;
  readonly results: readonly OutboundResult[];
}

export class Deliveries {
  private readonly store: MessageStore;
  private moReference = 0;

  constructor(store: MessageStore) {
    this.store = store;
  }

  /** Parameters of each part of a deliver message, in the order Kannel reads them. */
  parts(message: DeliverMessage): Parameter[][] {
    const reference = message.reference ?? (this.moReference = (this.moReference + 1) & 0xff);
    return buildDeliverParts(message, {
      timestamp: message.timestamp ?? this.store.now(),
      reference,
    });
  }

  /**
   * Sends the parts (all or none: a message must not be cut off by maxOutstanding half-way);
   * resolves once every part was answered or gave up.
   */
  async send(
    window: OutboundWindow,
    parts: readonly Parameter[][],
    firstPn?: number,
    options: { readonly fault?: OutboundFault } = {},
  ): Promise<DeliverResult> {
    const full = window.capacityError(parts.length);
    if (full !== undefined) throw full;
    const results = await Promise.all(
      parts.map((params, i) =>
        window.request(Op.DeliverMessage, params, {
          ...(i === 0 && firstPn !== undefined ? { pn: firstPn } : {}),
          ...options,
        }),
      ),
    );
    return {
      packetNumbers: results.map((r) => r.pn),
      acknowledged: results.every((r) => r.acknowledged),
      results,
    };
  }

  /** Sends a status report and records the status for enquiries. */
  async report(
    window: OutboundWindow,
    report: DeliverStatusReport,
    options: { readonly fault?: OutboundFault } = {},
  ): Promise<DeliverResult> {
    const params: Parameter[] = [
      { code: Param.DestinationAddress, value: report.destination },
      { code: Param.ServiceCentreTimeStamp, value: report.messageTimestamp },
      { code: Param.StatusCode, value: String(report.status) },
    ];
    if (report.statusErrorCode !== undefined)
      params.push({ code: Param.StatusErrorCode, value: String(report.statusErrorCode) });
    params.push({
      code: Param.DischargeTime,
      value: report.dischargeTime ?? this.store.dischargeTime(report.messageTimestamp),
    });
    params.push(...(report.extraParameters ?? []));
    this.store.setStatus(report.messageTimestamp, report.destination, report.status);
    const result = await window.request(Op.DeliverStatusReport, params, {
      ...(report.pn === undefined ? {} : { pn: report.pn }),
      ...options,
    });
    return { packetNumbers: [result.pn], acknowledged: result.acknowledged, results: [result] };
  }
}
