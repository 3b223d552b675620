/** The published entry points (package.json "exports", built dist/) as a user imports them. */
import { expect } from 'chai';

interface PublicApi {
  createMockSmsc(o: { port: number }): Promise<{
    port: number;
    stop(): Promise<void>;
    transcript: { records: readonly { kind: string }[] };
  }>;
  VERSION: string;
}
interface TestingApi {
  CimdClient: {
    connect(o: { port: number }): Promise<{
      login(u: string, p: string): Promise<unknown>;
      submit(i: {
        destination: string;
        text: string;
      }): Promise<{ ok: boolean; timestamp?: string }>;
      logout(): Promise<unknown>;
    }>;
  };
}
interface ProtocolApi {
  encodeCimdText(text: string): string;
  Op: { Submit: number };
}

describe('package entry points (built dist)', () => {
  it('cimd2-mock, cimd2-mock/testing and cimd2-mock/protocol work together', async () => {
    // Specifiers through a variable: type checking runs before the build that creates dist/.
    const load = (specifier: string): Promise<unknown> => import(specifier);
    const api = (await load('cimd2-mock')) as PublicApi;
    const testing = (await load('cimd2-mock/testing')) as TestingApi;
    const protocol = (await load('cimd2-mock/protocol')) as ProtocolApi;
    expect(api.VERSION).to.match(/^\d+\.\d+\.\d+/);
    expect(protocol.Op.Submit).to.equal(3);
    expect(protocol.encodeCimdText('@€')).to.equal('_Oa_XXe');
    const smsc = await api.createMockSmsc({ port: 0 });
    try {
      const c = await testing.CimdClient.connect({ port: smsc.port });
      await c.login('u', 'p');
      const r = await c.submit({ destination: '+358401234567', text: 'via the package' });
      expect(r.ok).to.equal(true);
      expect(r.timestamp).to.match(/^\d{12}$/);
      await c.logout();
      expect(smsc.transcript.records.some((x) => x.kind === 'frame')).to.equal(true);
    } finally {
      await smsc.stop();
    }
  });
});
