import { expect } from 'chai';
import {
  OPERATIONS,
  Op,
  isRequestOp,
  opByName,
  opName,
  operationInfo,
  responseOp,
} from '../../../src/protocol/operations.js';

const NAMES: Record<number, string> = {
  1: 'login',
  2: 'logout',
  3: 'submit',
  4: 'enquire',
  5: 'delivery-request',
  6: 'cancel',
  8: 'set',
  9: 'get',
  13: 'submit-status-report',
  20: 'deliver',
  23: 'status-report',
  40: 'alive',
  51: 'login-response',
  52: 'logout-response',
  53: 'submit-response',
  54: 'enquire-response',
  55: 'delivery-request-response',
  56: 'cancel-response',
  58: 'set-response',
  59: 'get-response',
  63: 'submit-status-report-response',
  70: 'deliver-response',
  73: 'status-report-response',
  90: 'alive-response',
  98: 'general-error',
  99: 'nack',
};

describe('operations', () => {
  it('lists exactly the 26 operations of docs/protocol.md#operations with their kebab-case names, in code order', () => {
    expect(Object.fromEntries(OPERATIONS.map((o) => [o.code, o.name]))).to.deep.equal(NAMES);
    const codes = OPERATIONS.map((o) => o.code);
    expect(codes).to.deep.equal([...codes].sort((a, b) => a - b));
    expect(Object.values(Op).sort((a, b) => a - b)).to.deep.equal(codes);
  });

  it('pairs every request with request + 50, which is a response in the table', () => {
    for (const o of OPERATIONS.filter((x) => !x.isResponse)) {
      expect(o.response, o.name).to.equal(o.code + 50);
      expect(operationInfo(o.code + 50)?.isResponse, o.name).to.equal(true);
    }
    for (const o of OPERATIONS.filter((x) => x.isResponse)) expect(o.response).to.equal(undefined);
  });

  it('records who sends what', () => {
    expect(operationInfo(Op.Submit)?.sender).to.equal('client');
    expect(operationInfo(Op.DeliverMessage)?.sender).to.equal('server');
    expect(operationInfo(Op.DeliverStatusReportResponse)?.sender).to.equal('client');
    expect(operationInfo(Op.Alive)?.sender).to.equal('either');
    expect(operationInfo(Op.GeneralError)?.sender).to.equal('server');
    expect(operationInfo(Op.Nack)?.sender).to.equal('either');
    expect(operationInfo(Op.Submit)?.title).to.equal('Submit message');
  });

  it('names unknown codes op-NN and maps every name back', () => {
    expect(opName(7)).to.equal('op-07');
    expect(opName(42)).to.equal('op-42');
    for (let code = 0; code <= 99; code++) expect(opByName(opName(code))).to.equal(code);
    expect(opByName('submit')).to.equal(3);
    expect(opByName('Submit')).to.equal(undefined);
    expect(opByName('op-7')).to.equal(undefined);
  });

  it('answers responseOp and isRequestOp from the table', () => {
    expect(responseOp(Op.Login)).to.equal(Op.LoginResponse);
    expect(responseOp(Op.DeliverStatusReport)).to.equal(Op.DeliverStatusReportResponse);
    expect(responseOp(Op.SubmitResponse)).to.equal(undefined);
    expect(responseOp(7)).to.equal(undefined);
    expect(isRequestOp(Op.Alive)).to.equal(true);
    expect(isRequestOp(Op.AliveResponse)).to.equal(false);
    expect(isRequestOp(Op.Nack)).to.equal(false);
    expect(isRequestOp(7)).to.equal(false);
  });
});
