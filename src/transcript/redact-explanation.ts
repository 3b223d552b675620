/**
 * Password redaction inside `decision` / `unmatched` explanations (with `redactPasswords`).
 *
 * The scenario engine quotes what it compared: `password "s3cret" is "s3cret"`, or in a near
 * miss `password "wrong" is not "s3cret"` (the scenario's own password), `parameter 011 "x"
 * starts with "se"`. Two passes, neither needing the scenario:
 * 1. the request's own 011 value, quoted as the engine quotes values, becomes `"***"` anywhere;
 * 2. after each `password ` / `parameter 011 ` label, every quoted value and regular expression
 *    of the phrase that follows becomes three stars (quoted, or between slashes), up to the end of that phrase (`, ` before
 *    the next condition, `; `, ` → `, or the end).
 */
import { REDACTED } from './frame-fields.js';

const QUOTED = `"${REDACTED}"`;
/** A password condition: the label, then a quoted value or `is absent`. */
const LABEL = /\b(?:password|parameter 011) (?="|is absent)/g;
const PHRASE_CHAR = /[a-z ()]/;
const REGEX_END = /[\s,;)]/;
const MATCH_WORD = /\bmatch(?:es)? $/;

/** The value as the engine quotes it (long values shortened, as `showValue` does). */
function quoted(value: string): string[] {
  const full = JSON.stringify(value);
  const short = JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value);
  return full === short ? [full] : [full, short];
}

/** End (exclusive) of the JSON string literal opening at `start`. */
function endOfString(text: string, start: number): number {
  for (let k = start + 1; k < text.length; k++) {
    if (text[k] === '\\') k++;
    else if (text[k] === '"') return k + 1;
  }
  return text.length;
}

/** End (exclusive) of the `/regex/` opening at `start`: a `/` before a space, `,`, `;`, `)` or the end. */
function endOfRegex(text: string, start: number): number {
  for (let k = start + 1; k < text.length; k++) {
    if (text[k] === '/' && (k + 1 === text.length || REGEX_END.test(text[k + 1] ?? ''))) {
      return k + 1;
    }
  }
  return text.length;
}

/** `text` with the passwords it quotes replaced (see the module comment). */
export function redactExplanation(text: string, requestPassword: string | undefined): string {
  let s = text;
  if (requestPassword !== undefined && requestPassword !== '') {
    for (const q of quoted(requestPassword)) s = s.split(q).join(QUOTED);
  }
  if (!s.includes('password ') && !s.includes('parameter 011 ')) return s;
  let out = '';
  let from = 0;
  LABEL.lastIndex = 0;
  for (let m = LABEL.exec(s); m !== null; m = LABEL.exec(s)) {
    let j = m.index + m[0].length;
    out += s.slice(from, j);
    for (;;) {
      const c = s[j];
      if (c === '"') {
        out += QUOTED;
        j = endOfString(s, j);
      } else if (c === '/' && MATCH_WORD.test(s.slice(Math.max(0, j - 8), j))) {
        out += `/${REDACTED}/`;
        j = endOfRegex(s, j);
      } else if (s.startsWith(', "', j)) {
        out += ', ';
        j += 2;
      } else if (c !== undefined && PHRASE_CHAR.test(c)) {
        out += c;
        j++;
      } else break;
    }
    from = j;
    LABEL.lastIndex = j;
  }
  return out + s.slice(from);
}
