/**
 * The seven text encodings of user data (docs/protocol.md#text-and-data-coding), as the `encoding` values used by the
 * codec, the server, scenarios, the control API and the CLI. The one list: import it, never
 * copy it.
 */
export const TEXT_ENCODINGS = [
  'gsm7',
  'binary',
  'ucs2',
  'iso-8859-1',
  'iso-8859-5',
  'iso-8859-8',
  'wap-push',
] as const;

/** How a message's payload is encoded. */
export type TextEncoding = (typeof TEXT_ENCODINGS)[number];

/** True when `value` names one of the seven encodings. */
export function isTextEncoding(value: unknown): value is TextEncoding {
  return (TEXT_ENCODINGS as readonly unknown[]).includes(value);
}
