/**
 * Resource limits of the server core (README "Limits"): each limit's default, its defined answer
 * when reached, the `limit-reached` event, and that memory stays bounded.
 */
import { expect } from 'chai';
import { duplexPair } from 'node:stream';
import { ConfigError, LimitError } from '../../../src/errors.js';
import type { LimitReachedEvent, ScheduledItemEvent } from '../../../src/server/events.js';
import type { Decision, Responder } from '../../../src/server/ports.js';
import { SmscServer, type SmscServerOptions } from '../../../src/server/smsc-server.js';
import { ScenarioError, loadScenarioText } from '../../../src/scenario/index.js';
import { ManualClock } from '../../../src/testing/manual-clock.js';
import { connect, loggedIn, tick } from '../../helpers/duplex.js';
import { wire, withChecksum } from '../../helpers/wire.js';

/** Delays the answer to alive (40) by `ms`; answers everything else at once. */
const delayed = (ms: number): Responder => ({
  decide: (ctx): Decision => ({
    steps:
      ctx.frame.op === 40 ? [{ kind: 'delay', ms }, { kind: 'respond' }] : [{ kind: 'respond' }],
    afterwards: [],
    ruleId: 'slow',
    explanation: 'slow',
  }),
});

const report = { messageTimestamp: '261125120000', destination: '1', status: 4 } as const;

describe('SmscServer limits', () => {
  let clock: ManualClock;
  let server: SmscServer;
  let limits: LimitReachedEvent[];

  function start(options: SmscServerOptions = {}): SmscServer {
    server = new SmscServer({ clock, ...options });
    server.on('limit-reached', (e) => limits.push(e));
    return server;
  }

  beforeEach(() => {
    clock = new ManualClock(Date.UTC(2026, 10, 25, 12, 0, 0));
    limits = [];
  });

  afterEach(async () => {
    await server.close({ graceMs: 0 });
  });

  describe('maxFrameLength', () => {
    it('closes a session whose frame grows past a configured maxFrameLength, and accepts one just below', async () => {
      start({ maxFrameLength: 64 });
      const { peer, session } = await loggedIn(server);
      const fits = `<STX>03:003<TAB>021:1<TAB>033:${'x'.repeat(44)}<TAB><ETX>`;
      expect(wire(fits).length).to.equal(64);
      peer.send(fits);
      expect((await peer.next()).op).to.equal(53);
      peer.send(`<STX>03:005<TAB>021:1<TAB>033:${'x'.repeat(60)}<TAB><ETX>`);
      const reason = await session.closed;
      expect(reason).to.deep.equal({ code: -1, text: 'frame longer than 64 bytes without ETX' });
      expect(limits).to.deep.equal([
        {
          limit: 'maxFrameLength',
          value: 64,
          detail: 'session closed: frame longer than 64 bytes without ETX',
          clientId: session.id,
        },
      ]);
    });
  });

  describe('buffered bytes per session', () => {
    it('holds less than maxFrameLength bytes of an unfinished frame, whatever the chunking', async () => {
      start();
      const { peer, session } = await loggedIn(server);
      let most = 0;
      peer.send('<STX>03:003<TAB>033:');
      for (let i = 0; i < 100; i++) {
        peer.send(Buffer.alloc(100, 0x41));
        await tick(1);
        most = Math.max(most, session.bufferedBytes);
      }
      expect(most).to.be.below(4096);
      expect(session.isOpen).to.equal(false);
    });

    it('buffers nothing for bytes outside frames', async () => {
      start();
      const { peer, session } = await loggedIn(server);
      for (let i = 0; i < 64; i++) peer.send(Buffer.alloc(16 * 1024, 0x20));
      await tick(5);
      expect(session.bufferedBytes).to.equal(0);
      peer.send('<STX>40:003<TAB><ETX>');
      expect((await peer.next()).op).to.equal(90);
    });
  });

  describe('maxPendingRequests', () => {
    it('stops reading at maxPendingRequests unanswered requests and answers all of them in order later', async () => {
      start({ responder: delayed(1000), maxPendingRequests: 8 });
      const { peer, session } = await loggedIn(server);
      for (let i = 0; i < 20; i++) {
        peer.send(`<STX>40:${String(3 + 2 * i).padStart(3, '0')}<TAB><ETX>`);
        await tick(1);
      }
      await tick(5);
      expect(session.pendingAnswers).to.equal(8);
      await clock.advance(1000);
      await tick(5);
      await clock.advance(1000);
      await tick(5);
      await clock.advance(1000);
      const pns: number[] = [];
      for (let i = 0; i < 20; i++) pns.push((await peer.next()).pn);
      expect(pns).to.deep.equal(Array.from({ length: 20 }, (_, i) => 3 + 2 * i));
      expect(session.pendingAnswers).to.equal(0);
    });
  });

  describe('maxSessions', () => {
    it('defaults to 1000 and closes a connection over the limit at once with a reason', async () => {
      start({ maxSessions: 2 });
      const opened: string[] = [];
      const closed: string[] = [];
      server.on('session-opened', (s) => opened.push(s.id));
      server.on('session-closed', (s, r) => closed.push(`${s.id} ${r.code} ${r.text}`));
      const a = await loggedIn(server);
      connect(server);
      const third = connect(server);
      await third.peer.whenEnded();
      expect(third.session.reason).to.deep.equal({
        code: -1,
        text: 'too many connections: maxSessions (2) reached',
      });
      expect(opened).to.have.length(3);
      expect(closed).to.deep.equal([
        `${third.session.id} -1 too many connections: maxSessions (2) reached`,
      ]);
      expect(limits.map((l) => [l.limit, l.value, l.clientId])).to.deep.equal([
        ['maxSessions', 2, third.session.id],
      ]);
      expect(server.sessions()).to.have.length(2);
      a.peer.stream.end();
      await a.session.closed;
      await loggedIn(server);
    });

    it('accepts 1000 connections by default and refuses the 1001st', () => {
      start();
      // Ten addresses (each at most maxSessionsPerAddress, 100 by default).
      const peers = Array.from({ length: 1000 }, (_, i) =>
        connect(server, { host: `10.0.0.${i % 10}` }),
      );
      expect(server.sessions()).to.have.length(1000);
      const extra = connect(server, { host: '10.0.1.1' });
      expect(extra.session.isOpen).to.equal(false);
      expect(extra.session.reason?.text).to.match(/maxSessions \(1000\)/);
      expect(peers.every((p) => p.session.isOpen)).to.equal(true);
    });

    it('0 means unlimited', async () => {
      start({ maxSessions: 0 });
      for (let i = 0; i < 1100; i++) connect(server, { host: `10.0.0.${i % 20}` });
      expect(server.sessions()).to.have.length(1100);
      await tick();
    });
  });

  describe('maxSessionsPerUser', () => {
    it('answers the extra login with 102 and reports the limit', async () => {
      start({ maxSessionsPerUser: 1 });
      await loggedIn(server, 'u');
      const { peer, session } = connect(server);
      peer.send('<STX>01:001<TAB>010:u<TAB>011:p<TAB><ETX>');
      expect((await peer.next()).raw).to.deep.equal(
        withChecksum('<STX>51:001<TAB>900:102<TAB>901:Too many users with this login ID<TAB><ETX>'),
      );
      expect(session.isOpen).to.equal(true);
      expect(limits.map((l) => [l.limit, l.value])).to.deep.equal([['maxSessionsPerUser', 1]]);
    });
  });

  describe('loginTimeoutMs', () => {
    it('closes a connection without a successful login 30 s after connecting (default)', async () => {
      start();
      const { peer, session } = connect(server);
      await clock.advance(29_999);
      expect(session.isOpen).to.equal(true);
      await clock.advance(1);
      await peer.whenEnded();
      expect(session.reason).to.deep.equal({
        code: -1,
        text: 'no successful login within 30000 ms (loginTimeoutMs)',
      });
      expect(limits.map((l) => [l.limit, l.value])).to.deep.equal([['loginTimeoutMs', 30_000]]);
    });

    it('does not reset on failed logins or other frames, and never fires after a successful login', async () => {
      start({
        loginTimeoutMs: 1000,
        responder: {
          decide: (ctx): Decision => ({
            steps:
              ctx.frame.op === 1 && ctx.fields.password !== 'ok'
                ? [{ kind: 'error', code: 100 }]
                : [{ kind: 'respond' }],
            afterwards: [],
            ruleId: null,
            explanation: '',
          }),
        },
      });
      const failing = connect(server);
      for (let i = 0; i < 3; i++) {
        await clock.advance(300);
        failing.peer.send('<STX>01:001<TAB>010:u<TAB>011:bad<TAB><ETX>');
        expect((await failing.peer.next()).params[0]?.value).to.equal('100');
      }
      const good = connect(server);
      good.peer.send('<STX>01:001<TAB>010:u<TAB>011:ok<TAB><ETX>');
      expect((await good.peer.next()).params).to.deep.equal([]);
      await clock.advance(100);
      await failing.peer.whenEnded();
      expect(failing.session.reason?.text).to.match(/loginTimeoutMs/);
      await clock.advance(60_000);
      expect(good.session.isOpen).to.equal(true);
    });

    it('0 turns it off', async () => {
      // The idle timeout (10 min by default) would close the silent connection: off here.
      start({ loginTimeoutMs: 0, idleTimeoutMs: 0 });
      const { session } = connect(server);
      await clock.advance(3_600_000);
      expect(session.isOpen).to.equal(true);
    });
  });

  describe('idleTimeoutMs', () => {
    it('0 turns it off: a silent logged-in session stays open', async () => {
      start({ idleTimeoutMs: 0 });
      const { session } = await loggedIn(server);
      await clock.advance(24 * 3_600_000);
      expect(session.isOpen).to.equal(true);
      expect(limits).to.deep.equal([]);
    });

    it('closes a session from which no frame came for idleTimeoutMs; frames keep it open, garbage does not', async () => {
      start({ idleTimeoutMs: 60_000 });
      const { peer, session } = await loggedIn(server);
      for (let i = 0; i < 3; i++) {
        await clock.advance(50_000);
        peer.send(`<STX>40:${String(3 + 2 * i).padStart(3, '0')}<TAB><ETX>`);
        expect((await peer.next()).op).to.equal(90);
      }
      await clock.advance(30_000);
      peer.send('just bytes, no frame');
      await tick();
      await clock.advance(30_000);
      await peer.whenEnded();
      expect(session.reason).to.deep.equal({
        code: -1,
        text: 'no frame from the client for 60000 ms (idleTimeoutMs)',
      });
      expect(limits.map((l) => [l.limit, l.value])).to.deep.equal([['idleTimeoutMs', 60_000]]);
    });
  });

  describe('maxOutstanding', () => {
    it('rejects further status reports with LimitError once maxOutstanding are queued or in flight', async () => {
      start({ maxOutstanding: 3 });
      const { peer, session } = await loggedIn(server);
      const sent = [1, 2, 3].map(() => server.sendDeliverStatusReport(session.id, report));
      let error: unknown;
      try {
        await server.sendDeliverStatusReport(session.id, report);
      } catch (e) {
        error = e;
      }
      expect(error).to.be.instanceOf(LimitError);
      expect((error as LimitError).code).to.equal('ERR_SESSION_LIMIT');
      expect((error as LimitError).limit).to.equal('maxOutstanding');
      expect((error as LimitError).value).to.equal(3);
      expect(session.outstanding).to.equal(3);
      expect(limits.map((l) => [l.limit, l.value, l.clientId])).to.deep.equal([
        ['maxOutstanding', 3, session.id],
      ]);
      for (const pn of ['000', '002', '004']) {
        const f = await peer.next();
        expect(f.pn).to.equal(Number(pn));
        peer.send(`<STX>73:${pn}<TAB><ETX>`);
      }
      expect((await Promise.all(sent)).every((r) => r.acknowledged)).to.equal(true);
      server.sendDeliverStatusReport(session.id, report).catch(() => undefined);
      expect(session.outstanding).to.equal(1);
    });

    it('refuses a multipart deliver as a whole when its parts do not all fit (nothing sent)', async () => {
      start({ maxOutstanding: 2 });
      const { peer, session } = await loggedIn(server);
      const first = server.sendDeliverStatusReport(session.id, report);
      let error: unknown;
      try {
        await server.sendDeliverMessage(session.id, {
          destination: '1',
          originator: '2',
          text: 'x'.repeat(200),
        });
      } catch (e) {
        error = e;
      }
      expect(error).to.be.instanceOf(LimitError);
      expect(session.outstanding).to.equal(1);
      expect((await peer.next()).op).to.equal(23);
      await tick(5);
      expect(peer.unread).to.equal(0);
      peer.send('<STX>73:000<TAB><ETX>');
      await first;
    });

    it('cancels a scheduled status report when the session is full, recorded as a cancelled fire', async () => {
      start({ maxOutstanding: 1 });
      const { session } = await loggedIn(server);
      const fired: ScheduledItemEvent[] = [];
      server.on('fired', (_s, item) => fired.push(item));
      server.sendDeliverStatusReport(session.id, report).catch(() => undefined);
      server.schedule(
        session,
        { kind: 'statusReport', afterMs: 10, status: 4 },
        {},
        '358401',
        '261125120000',
      );
      await clock.advance(10);
      expect(fired).to.have.length(1);
      expect(fired[0]?.cancelled).to.match(/maxOutstanding \(1\)/);
      expect(session.outstanding).to.equal(1);
    });

    it('still lets the keep-alive 40 through when the session is full', async () => {
      start({ maxOutstanding: 1, window: 2, keepAliveInterval: 5 });
      const { peer, session } = await loggedIn(server);
      server.sendDeliverStatusReport(session.id, report).catch(() => undefined);
      expect((await peer.next()).op).to.equal(23);
      peer.send('<STX>73:000<TAB><ETX>');
      server.sendDeliverStatusReport(session.id, report).catch(() => undefined);
      expect((await peer.next()).op).to.equal(23);
      await clock.advance(5_000);
      const alive = await peer.next();
      expect(alive.op).to.equal(40);
    });
  });

  describe('maxScheduledItems', () => {
    it('cancels items over the limit at once (scheduled, then fired with cancelled)', async () => {
      start({ maxScheduledItems: 2 });
      const { session } = await loggedIn(server);
      const events: string[] = [];
      server.on('scheduled', (_s, i) => events.push(`scheduled ${i.id}`));
      server.on('fired', (_s, i) => events.push(`fired ${i.id} ${i.cancelled ?? ''}`));
      for (let i = 0; i < 3; i++)
        server.schedule(session, { kind: 'disconnect', afterMs: 60_000 }, {});
      expect(server.pendingItems).to.equal(2);
      expect(events).to.deep.equal([
        'scheduled 1',
        'scheduled 2',
        'scheduled 3',
        'fired 3 maxScheduledItems (2) reached: not scheduled',
      ]);
      expect(limits.map((l) => [l.limit, l.value])).to.deep.equal([['maxScheduledItems', 2]]);
    });

    it('defaults to 100 000', async () => {
      start();
      const { session } = await loggedIn(server);
      for (let i = 0; i < 100_001; i++)
        server.schedule(session, { kind: 'disconnect', afterMs: 60_000 }, {});
      expect(server.pendingItems).to.equal(100_000);
      expect(limits).to.have.length(1);
    });
  });

  describe('maxMultipartSets', () => {
    it('expires the oldest incomplete set early when a new one would exceed the limit', async () => {
      start({ maxMultipartSets: 2 });
      const { peer } = await loggedIn(server);
      const expired: number[] = [];
      server.on('multipart-expired', (e) => expired.push(e.reference));
      for (const [i, ref] of ['01', '02', '03'].entries()) {
        const pn = String(3 + 2 * i).padStart(3, '0');
        peer.send(`<STX>03:${pn}<TAB>021:1<TAB>032:050003${ref}0201<TAB>033:part<TAB><ETX>`);
        expect((await peer.next()).op).to.equal(53);
      }
      expect(expired).to.deep.equal([1]);
      expect(server.reassembler.pendingSets).to.equal(2);
      expect(limits.map((l) => [l.limit, l.value])).to.deep.equal([['maxMultipartSets', 2]]);
    });
  });

  describe('lingerMs', () => {
    it('destroys a closing session whose peer stops reading after lingerMs', async () => {
      start({ lingerMs: 2000 });
      const [serverSide, clientSide] = duplexPair();
      const session = server.handle(serverSide);
      clientSide.write(wire('<STX>01:001<TAB>010:shop<TAB>011:secret<TAB><ETX>'));
      for (let i = 0; i < 2000; i++) clientSide.write(wire('<STX>40:003<TAB><ETX>'));
      await tick(10);
      expect(serverSide.writableLength).to.be.greaterThan(0);
      await server.closeConnection(session.id);
      await tick();
      expect(serverSide.destroyed).to.equal(false);
      await clock.advance(2000);
      expect(serverSide.destroyed).to.equal(true);
    });
  });

  describe('option validation', () => {
    for (const [name, value] of [
      ['maxSessions', -1],
      ['loginTimeoutMs', -1],
      ['idleTimeoutMs', Number.NaN],
      ['maxOutstanding', 0],
      ['maxScheduledItems', 0],
      ['maxMultipartSets', 0],
      ['lingerMs', -5],
    ] as const) {
      it(`refuses ${name} = ${value} with ConfigError`, () => {
        expect(() => new SmscServer({ [name]: value })).to.throw(ConfigError, name);
      });
    }
  });
});

describe('Scenario limits', () => {
  it('refuses a scenario text over the default 1 MiB before parsing', () => {
    const text = `version: 1\n# ${'x'.repeat(1024 * 1024)}\n`;
    let error: unknown;
    try {
      loadScenarioText(text, 'big.yaml');
    } catch (e) {
      error = e;
    }
    expect(error).to.be.instanceOf(ScenarioError);
    expect(
      (error as ScenarioError).issues.map((i) => `${i.line}:${i.col} ${i.message}`),
    ).to.deep.equal([
      `1:1 the scenario is ${text.length} bytes, over the limit of 1048576 bytes (maxScenarioBytes)`,
    ]);
  });

  it('counts UTF-8 bytes, not characters, against maxBytes', () => {
    const text = `version: 1\n# ${'é'.repeat(60)}\n`;
    expect(() => loadScenarioText(text, 's.yaml', { maxBytes: 100 })).to.throw(
      ScenarioError,
      /134 bytes/,
    );
    expect(loadScenarioText(text, 's.yaml', { maxBytes: 134 }).rules).to.deep.equal([]);
  });

  it('refuses a YAML alias bomb with an issue instead of a throw (more than 100 aliases)', () => {
    const lines = ['version: 1', 'a0: &a0 [x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 9; i++)
      lines.push(
        `a${i}: &a${i} [${Array(9)
          .fill(`*a${i - 1}`)
          .join(', ')}]`,
      );
    let error: unknown;
    try {
      loadScenarioText(lines.join('\n'), 'bomb.yaml');
    } catch (e) {
      error = e;
    }
    expect(error).to.be.instanceOf(ScenarioError);
    expect(
      (error as ScenarioError).issues.map((i) => `${i.line}:${i.col} ${i.message}`),
    ).to.deep.equal([
      '1:1 YAML error: Excessive alias count indicates a resource exhaustion attack',
    ]);
  });

  it('reads a code tag (!!js/function) as plain text: scenarios are data only', () => {
    const code = 'function () { globalThis.hardeningPwned = true }';
    const scenario = loadScenarioText(`version: 1\nname: !!js/function '${code}'\n`, 'tag.yaml');
    expect(scenario.name).to.equal(code);
    expect((globalThis as Record<string, unknown>)['hardeningPwned']).to.equal(undefined);
  });

  it('refuses __proto__ keys instead of merging them into objects', () => {
    expect(() =>
      loadScenarioText('version: 1\n__proto__: { polluted: true }\n', 'p.yaml'),
    ).to.throw(ScenarioError, /unknown key "__proto__"/);
    expect(({} as Record<string, unknown>)['polluted']).to.equal(undefined);
  });

  it('runs a regex that backtracks badly in JavaScript on the linear-time engine, and refuses one it cannot run', () => {
    const text = (regex: string): string =>
      [
        'version: 1',
        'rules:',
        `  - when: { op: submit, text: { regex: ${JSON.stringify(regex)} } }`,
        '    then: [ { respond: {} } ]',
      ].join('\n');
    const scenario = loadScenarioText(text('(a+)+$'), 'redos.yaml');
    expect(scenario.rules).to.have.length(1);
    let error: unknown;
    try {
      loadScenarioText(text('(a+)\\1$'), 'backref.yaml');
    } catch (e) {
      error = e;
    }
    expect(error).to.be.instanceOf(ScenarioError);
    const issues = (error as ScenarioError).issues;
    expect(issues).to.have.length(1);
    expect(issues[0]?.message).to.equal(
      'rules[0].when.text.regex: regex "(a+)\\\\1$": backreferences are not supported (linear-time engine)',
    );
    expect(issues[0]?.line).to.equal(3);
  });
});

describe('SmscServer packet-number memory', () => {
  it('remembers at most 10 000 offline users, dropping the least recently seen, never an online one', async () => {
    const clock = new ManualClock(Date.UTC(2026, 10, 25, 12, 0, 0));
    const server = new SmscServer({ clock });
    const online = await loggedIn(server, 'online-user');
    const counter = server.pnCounterFor('online-user');
    counter.next = 42;
    for (let i = 0; i < 10_050; i++) server.pnCounterFor(`user-${i}`);
    expect(server.rememberedUsers).to.equal(10_000);
    expect(server.pnCounterFor('online-user').next).to.equal(42);
    expect(server.pnCounterFor('user-10049').next).to.equal(0);
    online.peer.stream.end();
    await server.close({ graceMs: 0 });
  });
});
