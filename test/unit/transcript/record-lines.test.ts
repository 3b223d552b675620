/**
 * The exact JSONL lines of the records a submit produces: key order and content are the
 * transcript contract (README "Transcript"), whichever way the recorder builds the objects.
 */
import { EventEmitter } from 'node:events';
import { expect } from 'chai';
import type { Frame } from '../../../src/protocol/frame.js';
import type { Decision, RequestContext, SessionInfo } from '../../../src/server/ports.js';
import type { ServerEvents, SubmitCompletedEvent } from '../../../src/server/events.js';
import { ManualClock } from '../../../src/testing/manual-clock.js';
import { TranscriptRecorder } from '../../../src/transcript/recorder.js';
import type { TranscriptRecord } from '../../../src/transcript/record.js';
import type { TranscriptSink } from '../../../src/transcript/sinks.js';
import { wire } from '../../helpers/wire.js';

class LineSink implements TranscriptSink {
  readonly lines: string[] = [];
  write(record: TranscriptRecord): void {
    this.lines.push(JSON.stringify(record));
  }
  flush(): Promise<void> {
    return Promise.resolve();
  }
  flushSync(): void {
    /* nothing buffered */
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

const T0 = Date.UTC(2026, 0, 1, 12, 0, 0);
const session: SessionInfo = { id: 'c1', user: 'shop', remote: '10.0.0.1:40000' };

function setup(): { server: EventEmitter<ServerEvents>; sink: LineSink; clock: ManualClock } {
  const server = new EventEmitter<ServerEvents>();
  const sink = new LineSink();
  const clock = new ManualClock(T0);
  new TranscriptRecorder(sink, { clock }).attach(server);
  return { server, sink, clock };
}

const submit: Frame = {
  op: 3,
  pn: 7,
  params: [
    { code: 21, value: '+358401234567' },
    { code: 33, value: 'Hi _Oa' },
  ],
};
const answer: Frame = {
  op: 53,
  pn: 7,
  params: [
    { code: 21, value: '+358401234567' },
    { code: 60, value: '260101120000' },
  ],
};
const request = (frame: Frame): RequestContext => ({
  session,
  frame,
  opName: 'submit',
  fields: {},
  now: T0,
  userSessions: 1,
});

describe('TranscriptRecorder record lines', () => {
  it('writes a submit, its decision, its 53 and the assembled message with the documented keys in order', async () => {
    const { server, sink, clock } = setup();
    server.emit('frame-in', session, {
      ok: true,
      frame: submit,
      raw: wire('<STX>03:007<TAB>021:+358401234567<TAB>033:Hi _Oa<TAB><ETX>'),
      checksum: 'absent',
    });
    const decision: Decision = {
      steps: [{ kind: 'delay', ms: 5 }, { kind: 'respond' }],
      afterwards: [],
      ruleId: 'ok',
      explanation: 'rule "ok" → answer OK',
    };
    server.emit('decision', session, request(submit), decision);
    await clock.advance(5);
    server.emit(
      'frame-out',
      session,
      answer,
      wire('<STX>53:007<TAB>021:+358401234567<TAB>060:260101120000<TAB><ETX>'),
    );
    const done: SubmitCompletedEvent = {
      clientId: 'c1',
      user: 'shop',
      destination: '+358401234567',
      originator: undefined,
      text: 'Hi @',
      encoding: 'gsm7',
      parts: 1,
      packetNumbers: [7],
      timestamps: ['260101120000'],
    };
    server.emit('submit-completed', done);
    expect(sink.lines).to.deep.equal([
      '{"seq":1,"ts":"2026-01-01T12:00:00.000Z","kind":"frame","session":"c1","dir":"in","op":3,"opName":"submit","pn":7,"params":[["021","+358401234567"],["033","Hi _Oa"]],"fields":{"destination":"+358401234567","text":"Hi @","encoding":"gsm7","dcs":0},"checksum":"absent","raw":"\\u000203:007\\t021:+358401234567\\t033:Hi _Oa\\t\\u0003"}',
      '{"seq":2,"ts":"2026-01-01T12:00:00.000Z","kind":"decision","session":"c1","pn":7,"op":3,"opName":"submit","rule":"ok","explanation":"rule \\"ok\\" → answer OK","actions":[{"kind":"delay","ms":5},{"kind":"respond"}],"afterwards":[]}',
      '{"seq":3,"ts":"2026-01-01T12:00:00.005Z","kind":"frame","session":"c1","dir":"out","op":53,"opName":"submit-response","pn":7,"params":[["021","+358401234567"],["060","260101120000"]],"fields":{"destination":"+358401234567","timestamp":"260101120000"},"checksum":"absent","raw":"\\u000253:007\\t021:+358401234567\\t060:260101120000\\t\\u0003"}',
      '{"seq":4,"ts":"2026-01-01T12:00:00.005Z","kind":"assembled","session":"c1","user":"shop","destination":"+358401234567","text":"Hi @","encoding":"gsm7","parts":1,"packetNumbers":[7],"timestamps":["260101120000"]}',
    ]);
  });

  it('writes an assembled binary multipart message with originator, reference and an unanswered part', () => {
    const { server, sink } = setup();
    server.emit('submit-completed', {
      clientId: 'c2',
      user: undefined,
      destination: '+1',
      originator: '+2',
      bytes: Buffer.from([0xca, 0xfe, 0x01]),
      encoding: 'binary',
      parts: 2,
      reference: 167,
      packetNumbers: [3, 5],
      timestamps: ['260101120000', undefined],
    });
    expect(sink.lines).to.deep.equal([
      '{"seq":1,"ts":"2026-01-01T12:00:00.000Z","kind":"assembled","session":"c2","destination":"+1","originator":"+2","binary":"CAFE01","encoding":"binary","parts":2,"reference":167,"packetNumbers":[3,5],"timestamps":["260101120000",null]}',
    ]);
  });

  it('writes the unmatched record after its decision', async () => {
    const { server, sink, clock } = setup();
    await clock.advance(1234);
    server.emit('decision', session, request(submit), {
      steps: [{ kind: 'respond', params: [{ code: 60, value: '260101120001' }] }],
      afterwards: [],
      ruleId: null,
      explanation: 'no rule matched → default answer',
      unmatched: 'rule "x": destination is not "+9"',
    });
    expect(sink.lines).to.deep.equal([
      '{"seq":1,"ts":"2026-01-01T12:00:01.234Z","kind":"decision","session":"c1","pn":7,"op":3,"opName":"submit","rule":null,"explanation":"no rule matched → default answer","actions":[{"kind":"respond","params":[["060","260101120001"]]}],"afterwards":[]}',
      '{"seq":2,"ts":"2026-01-01T12:00:01.234Z","kind":"unmatched","session":"c1","pn":7,"op":3,"opName":"submit","explanation":"rule \\"x\\": destination is not \\"+9\\""}',
    ]);
  });

  it('gives each record the time of its own millisecond', async () => {
    const { server, sink, clock } = setup();
    const open = (): void => {
      server.emit('session-opened', session);
    };
    open();
    open();
    await clock.advance(1);
    open();
    await clock.advance(999);
    open();
    const ts = sink.lines.map((l) => (JSON.parse(l) as TranscriptRecord).ts);
    expect(ts).to.deep.equal([
      '2026-01-01T12:00:00.000Z',
      '2026-01-01T12:00:00.000Z',
      '2026-01-01T12:00:00.001Z',
      '2026-01-01T12:00:01.000Z',
    ]);
  });
});
