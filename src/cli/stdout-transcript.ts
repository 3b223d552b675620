/**
 * `--transcript -`: the JSONL transcript on stdout. Records made before the readiness lines
 * (server-start, scenario-loaded) are held and written right after them, so stdout reads: the
 * readiness line(s), then JSONL only.
 */
import type { MockSmsc } from '../mock-smsc.js';
import type { TranscriptRecord } from '../transcript/index.js';

export class StdoutTranscript {
  private held: TranscriptRecord[] | undefined;
  private failure: Error | undefined;
  private readonly out: NodeJS.WritableStream;

  /** Starts collecting `mock`'s records (those made so far included); nothing is written yet. */
  constructor(mock: MockSmsc, out: NodeJS.WritableStream = process.stdout) {
    this.out = out;
    this.held = [...mock.transcript.records];
    mock.on('record', (r) => {
      if (this.held !== undefined) this.held.push(r);
      else this.write(r);
    });
    out.on('error', (e: Error) => {
      // A closed reader (EPIPE): the rest of the transcript is lost; the run must not pass.
      this.failure ??= e;
    });
  }

  /** Writes the held records and, from now on, every record as it is made. */
  release(): void {
    const held = this.held ?? [];
    this.held = undefined;
    for (const r of held) this.write(r);
  }

  /** The write error that cut the stream short, if any. */
  get error(): Error | undefined {
    return this.failure;
  }

  private write(r: TranscriptRecord): void {
    if (this.failure !== undefined) return;
    this.out.write(`${JSON.stringify(r)}\n`);
  }
}
