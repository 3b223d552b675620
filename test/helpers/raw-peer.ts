/**
 * A client socket that keeps every byte it receives with the (manual) clock time it arrived at,
 * and how the connection ended (FIN, RST), for tests of wire-level faults. Requests are written
 * with `send`; `client` is the CIMD2 test client on the same socket (login, auto-acks).
 */
import net from 'node:net';
import { encodeFrame } from '../../src/protocol/encoder.js';
import type { Frame } from '../../src/protocol/frame.js';
import { CimdClient } from '../../src/testing/cimd-client.js';
import type { Clock } from '../../src/util/clock.js';

export interface Arrival {
  /** Clock time of the arrival. */
  readonly at: number;
  readonly bytes: Buffer;
}

export class RawPeer {
  readonly socket: net.Socket;
  readonly client: CimdClient;
  readonly arrivals: Arrival[] = [];
  /** The server's FIN arrived. */
  ended = false;
  /** The socket error (ECONNRESET for a reset). */
  errorCode: string | undefined;
  closed = false;
  private readonly clock: Clock;

  private constructor(socket: net.Socket, clock: Clock, autoAck: boolean) {
    this.socket = socket;
    this.clock = clock;
    socket.on('data', (chunk: Buffer) => {
      this.arrivals.push({ at: clock.now(), bytes: chunk });
    });
    socket.on('end', () => {
      this.ended = true;
    });
    socket.on('error', (e: NodeJS.ErrnoException) => {
      this.errorCode = e.code;
    });
    socket.on('close', () => {
      this.closed = true;
    });
    this.client = new CimdClient(socket, { autoAck });
    this.client.on('error', () => {
      /* recorded above */
    });
  }

  static async connect(port: number, clock: Clock, autoAck = true): Promise<RawPeer> {
    const socket = net.connect({ host: '127.0.0.1', port, noDelay: true, allowHalfOpen: true });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    return new RawPeer(socket, clock, autoAck);
  }

  /** Every byte received so far. */
  get bytes(): Buffer {
    return Buffer.concat(this.arrivals.map((a) => a.bytes));
  }

  /** Bytes received after the first `from`. */
  bytesFrom(from: number): Buffer {
    return this.bytes.subarray(from);
  }

  send(frame: Frame): void {
    this.socket.write(encodeFrame(frame));
  }

  /** Waits (real time) until at least `n` bytes arrived. */
  async waitBytes(n: number, timeoutMs = 3000): Promise<Buffer> {
    await until(
      () => this.bytes.length >= n,
      timeoutMs,
      () => `${n} bytes (have ${this.bytes.length})`,
    );
    return this.bytes;
  }

  /** Waits (real time) until the connection closed. */
  async waitClosed(timeoutMs = 3000): Promise<void> {
    await until(
      () => this.closed,
      timeoutMs,
      () => 'the connection to close',
    );
  }

  /** Waits (real time) until the server's FIN arrived. */
  async waitEnded(timeoutMs = 3000): Promise<void> {
    await until(
      () => this.ended,
      timeoutMs,
      () => 'the server FIN',
    );
  }

  /** Lets socket events of bytes already written arrive (for "nothing more came" checks). */
  async quiet(ms = 30): Promise<void> {
    await new Promise((r) => setTimeout(r, ms));
  }

  destroy(): void {
    this.socket.destroy();
  }
}

export async function until(
  test: () => boolean,
  timeoutMs: number,
  what: () => string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!test()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what()}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}
