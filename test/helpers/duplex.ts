import { duplexPair, type Duplex } from 'node:stream';
import { FrameDecoder } from '../../src/protocol/decoder.js';
import type { Frame } from '../../src/protocol/frame.js';
import type { SmscServer } from '../../src/server/smsc-server.js';
import type { Session } from '../../src/server/session.js';
import { wire } from './wire.js';

/** A received frame with its exact bytes. */
export interface Received extends Frame {
  readonly raw: Buffer;
}

/**
 * The client side of an in-memory session: write bytes (wire notation or Buffer), read the
 * server's frames in order.
 */
export class Peer {
  readonly stream: Duplex;
  readonly received: Received[] = [];
  private readonly decoder = new FrameDecoder();
  private waiting: (() => void)[] = [];
  private cursor = 0;
  ended = false;

  constructor(stream: Duplex) {
    this.stream = stream;
    stream.on('data', (chunk: Buffer) => {
      for (const r of this.decoder.push(chunk)) {
        if (r.ok) this.received.push({ ...r.frame, raw: r.raw });
      }
      this.wake();
    });
    stream.on('end', () => {
      this.ended = true;
      this.wake();
    });
    stream.on('close', () => {
      this.ended = true;
      this.wake();
    });
  }

  private wake(): void {
    for (const w of this.waiting.splice(0)) w();
  }

  /** Writes wire notation (see wire.ts) or raw bytes. */
  send(data: string | Uint8Array): void {
    this.stream.write(typeof data === 'string' ? wire(data) : data);
  }

  /** The next frame not yet returned by next(); rejects after `timeoutMs` of real time. */
  async next(timeoutMs = 2000): Promise<Received> {
    const deadline = Date.now() + timeoutMs;
    while (this.cursor >= this.received.length) {
      if (this.ended) throw new Error('stream ended while waiting for a frame');
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no frame within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiting.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
    return this.received[this.cursor++]!;
  }

  /** Frames received and not yet taken by next(). */
  get unread(): number {
    return this.received.length - this.cursor;
  }

  /** Resolves when the server side ended the stream. */
  async whenEnded(timeoutMs = 2000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.ended) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`stream did not end within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiting.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }
}

/** Lets stream events and promise reactions run (no clock involved). */
export async function tick(rounds = 5): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise<void>((r) => setImmediate(r));
}

/** Opens an in-memory session on `server`. */
export function connect(
  server: SmscServer,
  remote: { host?: string; port?: number } = {},
): { session: Session; peer: Peer } {
  const [serverSide, clientSide] = duplexPair();
  const session = server.handle(serverSide, {
    host: remote.host ?? '10.0.0.1',
    port: remote.port ?? 40000,
  });
  return { session, peer: new Peer(clientSide) };
}

/** Opens a session and logs in as `user`. */
export async function loggedIn(
  server: SmscServer,
  user = 'shop',
  password = 'secret',
): Promise<{ session: Session; peer: Peer }> {
  const c = connect(server);
  c.peer.send(`<STX>01:001<TAB>010:${user}<TAB>011:${password}<TAB><ETX>`);
  const r = await c.peer.next();
  if (r.op !== 51 || r.params.length !== 0)
    throw new Error(`login failed: ${r.raw.toString('latin1')}`);
  return c;
}
