/**
 * A Server-Sent Events reader over `fetch` (not `EventSource`): it sees the HTTP status (401
 * shows the login, 404 falls back to polling), and it resumes after any drop by sending
 * `Last-Event-ID` with the last id it saw, so no record is lost across a reconnect.
 */

/** One event: `id`, `event` (default "message") and the joined `data` lines. */
export interface SseEvent {
  readonly id: string | undefined;
  readonly event: string;
  readonly data: string;
}

/**
 * Splits an SSE byte stream (as text) into events; keeps partial lines between chunks. Each
 * character is looked at once, however long the line (a batch of records is one long `data:`
 * line that arrives in many chunks): the pieces of an unfinished line are joined only when it ends.
 */
export class SseParser {
  /** The pieces of the line not ended yet. */
  private pending: string[] = [];
  /** The last chunk ended with CR: a LF starting the next one belongs to it (CRLF). */
  private afterCr = false;
  private id: string | undefined;
  private event = 'message';
  private data: string[] = [];
  /** The last `id:` seen (carried over events without one, as the spec says). */
  lastId: string | undefined;

  push(chunk: string): SseEvent[] {
    const out: SseEvent[] = [];
    let pos = 0;
    if (this.afterCr && chunk.startsWith('\n')) pos = 1;
    this.afterCr = false;
    // The next CR at or after `pos`: -1 none left in this chunk, -2 not looked for yet.
    let cr = -2;
    for (;;) {
      const lf = chunk.indexOf('\n', pos);
      if (cr !== -1 && cr < pos) cr = chunk.indexOf('\r', pos);
      const nl = cr < 0 ? lf : lf < 0 ? cr : Math.min(cr, lf);
      if (nl < 0) break;
      let line = chunk.slice(pos, nl);
      if (this.pending.length > 0) {
        this.pending.push(line);
        line = this.pending.join('');
        this.pending = [];
      }
      pos = nl + 1;
      if (nl === cr) {
        if (pos === chunk.length) this.afterCr = true;
        else if (chunk.charCodeAt(pos) === 10) pos++;
      }
      this.line(line, out);
    }
    if (pos < chunk.length) this.pending.push(chunk.slice(pos));
    return out;
  }

  private line(line: string, out: SseEvent[]): void {
    if (line === '') {
      if (this.data.length > 0) {
        out.push({ id: this.id ?? this.lastId, event: this.event, data: this.data.join('\n') });
      }
      if (this.id !== undefined) this.lastId = this.id;
      this.id = undefined;
      this.event = 'message';
      this.data = [];
      return;
    }
    if (line.startsWith(':')) return;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'data') this.data.push(value);
    else if (field === 'event') this.event = value;
    else if (field === 'id' && !value.includes('\0')) this.id = value;
  }
}

/** What {@link followEvents} reports besides events. */
export interface FollowHandlers {
  onEvent(event: SseEvent): void;
  /** The stream is open (after a (re)connect). */
  onOpen(): void;
  /** The stream dropped; `retryMs` until the next try. */
  onDrop(reason: string, retryMs: number): void;
  /** A status that retrying cannot fix (401, 404, …): the follower stops. */
  onFatal(status: number): void;
}

/**
 * Follows `url` until `signal` aborts: reconnects with growing pauses (0.5 s … 5 s) and
 * `Last-Event-ID`. Starts from `lastId` when given.
 */
export async function followEvents(
  url: string,
  handlers: FollowHandlers,
  signal: AbortSignal,
  lastId?: string,
): Promise<void> {
  let resume = lastId;
  let pause = 500;
  while (!signal.aborted) {
    const parser = new SseParser();
    parser.lastId = resume;
    let reason = 'closed';
    try {
      const res = await fetch(url, {
        headers: {
          Accept: 'text/event-stream',
          ...(resume !== undefined ? { 'Last-Event-ID': resume } : {}),
        },
        credentials: 'same-origin',
        signal,
      });
      if (res.status === 401 || res.status === 404 || res.status === 403) {
        handlers.onFatal(res.status);
        return;
      }
      if (!res.ok || res.body === null) {
        reason = `HTTP ${res.status}`;
      } else {
        handlers.onOpen();
        pause = 500;
        const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          for (const e of parser.push(value)) {
            // The stream says where it starts: resume from there even if no record came yet.
            if (e.event === 'hello' && parser.lastId === undefined)
              parser.lastId = helloFrom(e.data);
            handlers.onEvent(e);
          }
          resume = parser.lastId;
        }
      }
    } catch (error) {
      if (isAborted(signal)) return;
      reason = error instanceof Error ? error.message : String(error);
    }
    resume = parser.lastId ?? resume;
    handlers.onDrop(reason, pause);
    await new Promise((r) => setTimeout(r, pause));
    pause = Math.min(5000, pause * 2);
  }
}

/** Read through a call: TypeScript would narrow `signal.aborted` across awaits. */
function isAborted(signal: AbortSignal): boolean {
  return signal.aborted;
}

/** `from` of a `hello` event's data, as an id to resume after. */
function helloFrom(data: string): string | undefined {
  try {
    const from = (JSON.parse(data) as { from?: unknown }).from;
    return typeof from === 'number' ? String(from) : undefined;
  } catch {
    return undefined;
  }
}
