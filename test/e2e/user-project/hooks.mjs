// mocha --require hooks.mjs: one mock for the whole suite, a new epoch before each test (the
// README's "Isolation between tests").
import { createMockSmsc } from 'cimd2-mock';

export let smsc;

export const mochaHooks = {
  async beforeAll() {
    smsc = await createMockSmsc({
      scenario: new URL('smsc.yaml', import.meta.url).pathname,
      port: 0,
    });
  },
  beforeEach() {
    smsc.reset();
  },
  async afterAll() {
    await smsc.stop();
  },
};
