/**
 * What the load generator needs from a wire protocol, so that the same driver (connections,
 * window, count or duration, pacing, latency, errors) can load a CIMD2 SMSC and, for
 * comparison, an SMPP one.
 */

/** Where a codec reports what it decoded. */
export interface ResponseSink {
  /** A response to request `id`; `error` is undefined for a positive answer, else a short label. */
  response(id: number, error: string | undefined): void;
  /** Bytes to send back at once (the answer to a server-initiated request, e.g. a 70 or 73). */
  reply(bytes: Uint8Array): void;
  /** A malformed packet arrived (counted as an error, never thrown). */
  malformed(): void;
}

/** One connection's encoder and decoder. */
export interface LoadCodec {
  /** The login (bind) request with request id `id`. */
  login(id: number): Uint8Array;
  /** Length in bytes of one submit request. */
  readonly submitLength: number;
  /** Writes one submit request with request id `id` at `out[at…at+submitLength)`. */
  writeSubmit(out: Buffer, at: number, id: number): void;
  /** The next request id, skipping those for which `busy(id)` is true. */
  nextId(busy: (id: number) => boolean): number;
  /** Decodes the bytes received; reports through `sink`. Must never throw. */
  read(chunk: Buffer, sink: ResponseSink): void;
}

/** A protocol the load generator can speak. */
export interface LoadProtocol {
  /** Shown in results, e.g. "cimd2" or "smpp". */
  readonly name: string;
  /** Largest window the protocol's id space allows. */
  readonly maxWindow: number;
  /** A codec for one new connection. */
  connection(options: {
    readonly user: string;
    readonly password: string;
    readonly window: number;
  }): LoadCodec;
}
