/**
 * Compose: an MO (deliver, op 20) to a user or a session — from, to, text or hex, encoding, UDH
 * — and a status report (op 23) for a submit's 060 and destination.
 */
import type { ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';
import { TEXT_ENCODINGS } from '../../../src/protocol/encodings.js';
import { STATUS_NAMES } from '../../../src/protocol/status-codes.js';
import { api, errorMessage } from '../api.js';
import { useStore } from '../hooks.js';
import { store } from '../store.js';

/** The encodings `POST /deliver` accepts. */
export const ENCODINGS: readonly string[] = TEXT_ENCODINGS;
/** Status names of 061, in code order. */
export const STATUSES: readonly string[] = Object.values(STATUS_NAMES);

function Field(props: {
  readonly label: string;
  readonly name: string;
  readonly value: string;
  readonly onInput: (v: string) => void;
  readonly placeholder?: string;
  readonly required?: boolean;
  readonly pattern?: string;
  readonly multiline?: boolean;
}): ComponentChildren {
  const id = `f-${props.name}`;
  const onInput = (e: Event): void => {
    props.onInput((e.currentTarget as HTMLInputElement).value);
  };
  return (
    <div class="field">
      <label for={id}>{props.label}</label>
      {props.multiline === true ? (
        <textarea id={id} name={props.name} value={props.value} onInput={onInput} rows={3} />
      ) : (
        <input
          id={id}
          name={props.name}
          value={props.value}
          onInput={onInput}
          placeholder={props.placeholder}
          required={props.required}
          pattern={props.pattern}
        />
      )}
    </div>
  );
}

export interface ComposePreset {
  readonly session?: string;
  readonly user?: string;
  readonly from?: string;
  readonly to?: string;
  readonly timestamp?: string;
  readonly destination?: string;
}

export function ComposeView(props: { readonly preset: ComposePreset }): ComponentChildren {
  useStore();
  const p = props.preset;
  const targets = [...store.sessions.values()].filter((s) => s.state !== 'closed');
  const users = [
    ...new Set(targets.map((s) => s.user).filter((u): u is string => u !== undefined)),
  ];
  const [target, setTarget] = useState(
    p.session !== undefined ? `session:${p.session}` : p.user !== undefined ? `user:${p.user}` : '',
  );
  const [from, setFrom] = useState(p.from ?? '');
  const [to, setTo] = useState(p.to ?? '');
  const [mode, setMode] = useState<'text' | 'hex'>('text');
  const [body, setBody] = useState('');
  const [encoding, setEncoding] = useState('');
  const [udh, setUdh] = useState('');
  const [moStatus, setMoStatus] = useState('');

  const [srTarget, setSrTarget] = useState(p.session !== undefined ? `session:${p.session}` : '');
  const [srTs, setSrTs] = useState(p.timestamp ?? '');
  const [srDest, setSrDest] = useState(p.destination ?? '');
  const [srStatus, setSrStatus] = useState('delivered');
  const [srError, setSrError] = useState('');
  const [srResult, setSrResult] = useState('');

  const sel = (t: string): Record<string, string> => {
    if (t.startsWith('session:')) return { session: t.slice('session:'.length) };
    if (t.startsWith('user:')) return { user: t.slice('user:'.length) };
    return {};
  };

  const sendMo = (e: Event): void => {
    e.preventDefault();
    setMoStatus('sending…');
    api<{ packetNumbers: number[]; acknowledged: boolean }>('POST', '/deliver', {
      body: {
        ...sel(target),
        from,
        to,
        ...(mode === 'text' ? { text: body } : { hex: body.replace(/\s+/g, '') }),
        ...(encoding !== '' ? { encoding } : {}),
        ...(udh.trim() !== '' ? { udh: udh.replace(/\s+/g, '') } : {}),
      },
    })
      .then((r) => {
        setMoStatus(
          `sent as pn ${r.packetNumbers.join(', ')}: ${r.acknowledged ? 'acknowledged' : 'not acknowledged'}`,
        );
      })
      .catch((err: unknown) => {
        setMoStatus(`not sent: ${errorMessage(err)}`);
      });
  };

  const sendReport = (e: Event): void => {
    e.preventDefault();
    setSrResult('sending…');
    api<{ packetNumbers: number[]; acknowledged: boolean }>('POST', '/status-report', {
      body: {
        ...sel(srTarget),
        destination: srDest,
        timestamp: srTs,
        status: srStatus,
        ...(srError.trim() !== '' ? { errorCode: Number(srError) } : {}),
      },
    })
      .then((r) => {
        setSrResult(
          `sent as pn ${r.packetNumbers.join(', ')}: ${r.acknowledged ? 'acknowledged' : 'not acknowledged'}`,
        );
      })
      .catch((err: unknown) => {
        setSrResult(`not sent: ${errorMessage(err)}`);
      });
  };

  const targetSelect = (id: string, value: string, set: (v: string) => void): ComponentChildren => (
    <div class="field">
      <label for={id}>Send to</label>
      <select
        id={id}
        value={value}
        onChange={(e) => {
          set(e.currentTarget.value);
        }}
      >
        <option value="">any logged-in session</option>
        {users.map((u) => (
          <option key={`u${u}`} value={`user:${u}`}>
            user {u}
          </option>
        ))}
        {targets.map((s) => (
          <option key={s.id} value={`session:${s.id}`}>
            session {s.id} {s.user ?? '(not logged in)'}
          </option>
        ))}
      </select>
    </div>
  );

  return (
    <section class="view compose" aria-labelledby="compose-title">
      <h2 id="compose-title">Compose</h2>
      <div class="compose-forms">
        <form aria-labelledby="mo-title" onSubmit={sendMo}>
          <h3 id="mo-title">MO message (deliver)</h3>
          {targetSelect('mo-target', target, setTarget)}
          <Field
            label="From (originator)"
            name="from"
            value={from}
            onInput={setFrom}
            placeholder="+358401111111"
            required
          />
          <Field
            label="To (destination)"
            name="to"
            value={to}
            onInput={setTo}
            placeholder="12345"
            required
          />
          <fieldset class="inline">
            <legend>Content</legend>
            <label class="check">
              <input
                type="radio"
                name="mode"
                checked={mode === 'text'}
                onChange={() => {
                  setMode('text');
                }}
              />{' '}
              text
            </label>
            <label class="check">
              <input
                type="radio"
                name="mode"
                checked={mode === 'hex'}
                onChange={() => {
                  setMode('hex');
                }}
              />{' '}
              hex
            </label>
          </fieldset>
          <Field
            label={mode === 'text' ? 'Text' : 'Hex bytes'}
            name="body"
            value={body}
            onInput={setBody}
            multiline
          />
          <div class="field">
            <label for="f-encoding">Encoding</label>
            <select
              id="f-encoding"
              value={encoding}
              onChange={(e) => {
                setEncoding(e.currentTarget.value);
              }}
            >
              <option value="">default</option>
              {ENCODINGS.map((x) => (
                <option key={x} value={x}>
                  {x}
                </option>
              ))}
            </select>
          </div>
          <Field
            label="UDH (hex, UDHL included)"
            name="udh"
            value={udh}
            onInput={setUdh}
            placeholder="050003A70201"
          />
          <button type="submit">Send MO</button>
          <p class="status" role="status" aria-live="polite">
            {moStatus}
          </p>
        </form>
        <form aria-labelledby="sr-title" onSubmit={sendReport}>
          <h3 id="sr-title">Status report</h3>
          {targetSelect('sr-target', srTarget, setSrTarget)}
          <Field
            label="060 of the submit (yyMMddHHmmss)"
            name="sr-ts"
            value={srTs}
            onInput={setSrTs}
            pattern="\d{12}"
            required
          />
          <Field
            label="Destination (021)"
            name="sr-dest"
            value={srDest}
            onInput={setSrDest}
            required
          />
          <div class="field">
            <label for="f-sr-status">Status (061)</label>
            <select
              id="f-sr-status"
              value={srStatus}
              onChange={(e) => {
                setSrStatus(e.currentTarget.value);
              }}
            >
              {STATUSES.map((x) => (
                <option key={x} value={x}>
                  {x}
                </option>
              ))}
            </select>
          </div>
          <Field
            label="Status error code (062, optional)"
            name="sr-error"
            value={srError}
            onInput={setSrError}
            pattern="\d{0,3}"
          />
          <button type="submit">Send status report</button>
          <p class="status" role="status" aria-live="polite">
            {srResult}
          </p>
        </form>
      </div>
    </section>
  );
}
