/**
 * Reading a text file that may be hostile: a path that is not a regular file (a device such as
 * /dev/zero, a FIFO, a directory, also behind a symlink) is refused without reading it, and a
 * file over the limit is refused from its size before it is read. The read itself stops one byte
 * past the limit, so a file that grew after the size check is refused too, never cut short.
 */
import { constants } from 'node:fs';
import { open } from 'node:fs/promises';

/** Why a file was not read; `message` is one readable sentence without the path. */
export class BoundedReadError extends Error {
  override readonly name = 'BoundedReadError';
  /** `size`: over the limit; `kind`: not a regular file; `io`: the system refused (see `cause`). */
  readonly reason: 'size' | 'kind' | 'io';
  constructor(reason: 'size' | 'kind' | 'io', message: string, options?: ErrorOptions) {
    super(message, options);
    this.reason = reason;
  }
}

function kindOf(stats: {
  isDirectory(): boolean;
  isFIFO(): boolean;
  isCharacterDevice(): boolean;
  isBlockDevice(): boolean;
  isSocket(): boolean;
}): string {
  if (stats.isDirectory()) return 'a directory';
  if (stats.isFIFO()) return 'a FIFO';
  if (stats.isCharacterDevice()) return 'a character device';
  if (stats.isBlockDevice()) return 'a block device';
  if (stats.isSocket()) return 'a socket';
  return 'not a regular file';
}

/**
 * Reads a regular file of at most `maxBytes` bytes as UTF-8 (a leading BOM kept: the YAML
 * loaders drop it). `what` names the limit in the size message (e.g. `maxScenarioBytes`).
 * @throws BoundedReadError
 */
export async function readBoundedTextFile(
  path: string,
  maxBytes: number,
  what: string,
  noun = 'file',
): Promise<string> {
  let handle;
  try {
    // O_NONBLOCK: opening a FIFO must not wait for a writer before fstat can refuse it.
    handle = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (cause) {
    const why = cause instanceof Error ? cause.message : String(cause);
    throw new BoundedReadError('io', why, { cause });
  }
  try {
    const stats = await handle.stat();
    if (!stats.isFile()) {
      throw new BoundedReadError('kind', `${kindOf(stats)}, not a regular file: not read`);
    }
    const tooLarge = (bytes: number, atLeast: boolean): BoundedReadError =>
      new BoundedReadError(
        'size',
        `the ${noun} is ${atLeast ? 'over ' : ''}${bytes} bytes, over the limit of ${maxBytes} bytes (${what})`,
      );
    if (stats.size > maxBytes) throw tooLarge(stats.size, false);
    // Read to the end, whatever fstat said: the file may have grown since.
    const chunks: Buffer[] = [];
    let length = 0;
    while (length <= maxBytes) {
      const chunk = Buffer.alloc(Math.min(64 * 1024, maxBytes + 1 - length));
      const { bytesRead } = await handle.read(chunk, 0, chunk.length, null);
      if (bytesRead === 0) break;
      chunks.push(chunk.subarray(0, bytesRead));
      length += bytesRead;
    }
    if (length > maxBytes) throw tooLarge(maxBytes, true);
    return Buffer.concat(chunks, length).toString('utf8');
  } catch (cause) {
    if (cause instanceof BoundedReadError) throw cause;
    throw new BoundedReadError('io', cause instanceof Error ? cause.message : String(cause), {
      cause,
    });
  } finally {
    await handle.close();
  }
}
