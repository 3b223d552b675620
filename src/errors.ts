/**
 * One error hierarchy with stable codes. The message is for humans; `code` is for callers and
 * tests. Protocol-facing errors carry the CIMD2 error code (parameter 900) the server answers with.
 * Leaf module: imports nothing from the project.
 */
export abstract class Cimd2MockError extends Error {
  abstract readonly code: `ERR_${string}`;
}

/**
 * A frame that could not be decoded. Returned inside a `DecodeResult`, never thrown by the
 * decoder. `cimdErrorCode` is the CIMD2 error code (900) the server answers with in a 98.
 */
export class FrameError extends Cimd2MockError {
  override readonly name: string = 'FrameError';
  readonly code: `ERR_CIMD_${string}` = 'ERR_CIMD_FRAME';
  readonly cimdErrorCode: number;
  constructor(message: string, cimdErrorCode: number, options?: ErrorOptions) {
    super(message, options);
    this.cimdErrorCode = cimdErrorCode;
  }
}

/** Header or parameter syntax is wrong (CIMD2 error 2). */
export class FrameSyntaxError extends FrameError {
  override readonly name = 'FrameSyntaxError';
  override readonly code = 'ERR_CIMD_SYNTAX';
  constructor(message: string, options?: ErrorOptions) {
    super(message, 2, options);
  }
}

/** A parameter code that is not in the parameter table (CIMD2 error 3). */
export class UnsupportedParameterError extends FrameError {
  override readonly name = 'UnsupportedParameterError';
  override readonly code = 'ERR_CIMD_UNSUPPORTED_PARAMETER';
  readonly parameter: number;
  constructor(message: string, parameter: number, options?: ErrorOptions) {
    super(message, 3, options);
    this.parameter = parameter;
  }
}

/** A parameter value breaks the table's type, length or range, or repeats (CIMD2 error 8). */
export class ParameterFormatError extends FrameError {
  override readonly name = 'ParameterFormatError';
  override readonly code = 'ERR_CIMD_PARAMETER_FORMAT';
  readonly parameter: number;
  constructor(message: string, parameter: number, options?: ErrorOptions) {
    super(message, 8, options);
    this.parameter = parameter;
  }
}

/** The checksum trailer does not match the bytes (answered with a 99 NACK, not a 98). */
export class ChecksumError extends FrameError {
  override readonly name = 'ChecksumError';
  override readonly code = 'ERR_CIMD_CHECKSUM';
  readonly expected: string;
  readonly actual: string;
  constructor(expected: string, actual: string, options?: ErrorOptions) {
    super(`checksum mismatch: frame says ${actual}, bytes sum to ${expected}`, 2, options);
    this.expected = expected;
    this.actual = actual;
  }
}

/** An STX arrived before the ETX of the frame being read (the partial frame is reported). */
export class MissingEtxError extends FrameError {
  override readonly name = 'MissingEtxError';
  override readonly code = 'ERR_CIMD_MISSING_ETX';
  constructor(message: string, options?: ErrorOptions) {
    super(message, 2, options);
  }
}

/** A frame grew past the configured maximum length without an ETX. */
export class FrameTooLongError extends FrameError {
  override readonly name = 'FrameTooLongError';
  override readonly code = 'ERR_CIMD_FRAME_TOO_LONG';
  readonly limit: number;
  constructor(limit: number, options?: ErrorOptions) {
    super(`frame longer than ${limit} bytes without ETX`, 2, options);
    this.limit = limit;
  }
}

/** Thrown by the encoder: a value contains NUL, STX, ETX or TAB. */
export class ReservedByteError extends FrameError {
  override readonly name = 'ReservedByteError';
  override readonly code = 'ERR_CIMD_RESERVED_BYTE';
  constructor(message: string, options?: ErrorOptions) {
    super(message, 8, options);
  }
}

/** Thrown by value and user-data codecs for input they cannot represent. */
export class EncodingError extends Cimd2MockError {
  override readonly name = 'EncodingError';
  readonly code = 'ERR_CIMD_ENCODING';
}

/** A session is gone: operations on it fail with this. */
export class SessionClosedError extends Cimd2MockError {
  override readonly name = 'SessionClosedError';
  readonly code = 'ERR_SESSION_CLOSED';
}

/** No session with that client id / user. */
export class UnknownSessionError extends Cimd2MockError {
  override readonly name = 'UnknownSessionError';
  readonly code = 'ERR_SESSION_UNKNOWN';
}

/** A server-initiated request was not acknowledged after all resends. */
export class AckTimeoutError extends Cimd2MockError {
  override readonly name = 'AckTimeoutError';
  readonly code = 'ERR_SESSION_ACK_TIMEOUT';
}

/**
 * A configured resource limit is reached (`limit` names the option, e.g. `maxOutstanding`,
 * `maxScheduledItems`; `value` is its setting). The operation was not started.
 */
export class LimitError extends Cimd2MockError {
  override readonly name = 'LimitError';
  readonly code = 'ERR_SESSION_LIMIT';
  readonly limit: string;
  readonly value: number;
  constructor(message: string, limit: string, value: number, options?: ErrorOptions) {
    super(message, options);
    this.limit = limit;
    this.value = value;
  }
}

/** A bad option or configuration value. */
export class ConfigError extends Cimd2MockError {
  override readonly name = 'ConfigError';
  readonly code: `ERR_CONFIG_${string}`;
  constructor(
    message: string,
    code: `ERR_CONFIG_${string}` = 'ERR_CONFIG_INVALID',
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.code = code;
  }
}
