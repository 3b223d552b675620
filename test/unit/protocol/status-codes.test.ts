import { expect } from 'chai';
import {
  CimdError,
  ERROR_TEXTS,
  STATUS_NAMES,
  StatusCode,
  StatusReportBits,
  errorText,
  isFinalStatus,
  statusByName,
  statusErrorText,
  statusName,
  statusReportBitFor,
  wantsStatusReport,
} from '../../../src/protocol/status-codes.js';

describe('status codes', () => {
  it('has a text for every CimdError member and no other', () => {
    expect(
      Object.keys(ERROR_TEXTS)
        .map(Number)
        .sort((a, b) => a - b),
    ).to.deep.equal(Object.values(CimdError).sort((a, b) => a - b));
  });

  it('error texts are valid 901 values (printable ASCII, at most 64 bytes)', () => {
    for (const t of Object.values(ERROR_TEXTS)) expect(t).to.match(/^[\x20-\x7e]{1,64}$/);
  });

  it('errorText gives the docs/protocol.md#error-codes-900 wording, or Error NNN', () => {
    expect(errorText(CimdError.InvalidLogin)).to.equal('Invalid login');
    expect(errorText(CimdError.IncorrectDestinationAddress)).to.equal(
      'Incorrect destination address',
    );
    expect(errorText(CimdError.TemporaryCongestion)).to.equal('Temporary congestion error');
    expect(errorText(1)).to.equal('Unexpected operation');
    expect(errorText(999)).to.equal('Error 999');
    expect(errorText(11)).to.equal('Error 011');
  });

  it('maps 061 codes to kebab names and back', () => {
    expect(Object.values(STATUS_NAMES)).to.deep.equal([
      'unknown',
      'in-process',
      'expired',
      'failed',
      'delivered',
      'no-response',
      'last-no-response',
      'cancelled',
      'deleted',
      'deleted-by-cancel',
    ]);
    for (let c = 0; c <= 9; c++) expect(statusByName(statusName(c))).to.equal(c);
    expect(statusName(StatusCode.DeliverySuccessful)).to.equal('delivered');
    expect(statusName(12)).to.equal('status-12');
    expect(statusByName('nope')).to.equal(undefined);
  });

  it('marks 2, 3, 4, 6, 7, 8, 9 as final', () => {
    const finals = [...Array(12).keys()].filter(isFinalStatus);
    expect(finals).to.deep.equal([2, 3, 4, 6, 7, 8, 9]);
  });

  it('has docs/protocol.md#status-error-codes-062 status error texts', () => {
    expect(statusErrorText(1)).to.equal('Unknown subscriber');
    expect(statusErrorText(114)).to.equal('Error in prepaid system');
    expect(statusErrorText(2)).to.equal('Status error 002');
  });

  it('maps statuses to the 056 bit that asks for them', () => {
    const expected = [0, 1, 2, 4, 8, 1, 4, 16, 32, 16];
    expect([...Array(10).keys()].map(statusReportBitFor)).to.deep.equal(expected);
    expect(statusReportBitFor(10)).to.equal(0);
    expect(StatusReportBits.DeliverySuccessful).to.equal(8);
  });

  it("Kannel's 14 asks for expired, failed and delivered only", () => {
    const wanted = [...Array(10).keys()].filter((s) => wantsStatusReport(14, s));
    expect(wanted).to.deep.equal([2, 3, 4, 6]);
    expect([...Array(10).keys()].filter((s) => wantsStatusReport(0, s))).to.deep.equal([]);
    expect([...Array(10).keys()].filter((s) => wantsStatusReport(63, s))).to.deep.equal([
      1, 2, 3, 4, 5, 6, 7, 8, 9,
    ]);
  });
});
