/**
 * Messages: the live inbox, newest first, paged from `GET /messages` (or `GET /mo`) 100 at a
 * time as you scroll, in a virtualised list (100,000 messages never reach the DOM at once).
 * Filters go to the server. The detail pane (`GET /messages/{id}`) shows the decoded text,
 * every parameter by name, the raw frames as CIMD text and hex, the answer, the rule and the
 * status report timeline, with "Send status report…" and "Reply as handset".
 *
 * Over 500 lines on purpose: the inbox list, its virtual scrolling, the detail pane and its two action dialogs share
 * one selection and one paging state.
 */
import type { ComponentChildren } from 'preact';
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import type {
  Message,
  MessageDetail,
  MoDetail,
  MoMessage,
  NamedParam,
  Page,
  RawFrameView,
} from '../../../src/control/inbox-types.js';
import { STATUS_NAMES } from '../../../src/protocol/status-codes.js';
import { api, errorMessage } from '../api.js';
import { clock, useStore } from '../hooks.js';
import { navigate } from '../route.js';
import { store } from '../store.js';
import { VirtualList } from '../virtual-list.js';

type Direction = 'mt' | 'mo';
type Item = Message | MoMessage;

const ROW = 30;
const PAGE = 100;
const REFRESH_MS = 250;

interface Filters {
  text: string;
  to: string;
  from: string;
  user: string;
  status: string;
  rule: string;
}

const NO_FILTERS: Filters = { text: '', to: '', from: '', user: '', status: '', rule: '' };

function query(f: Filters, cursor?: string): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(f) as [keyof Filters, string][]) {
    if (v.trim() !== '') q.set(k, v.trim());
  }
  q.set('limit', String(PAGE));
  if (cursor !== undefined) q.set('cursor', cursor);
  return q.toString();
}

function statusOf(m: Item): string {
  if ('report' in m && m.report !== null) return m.report;
  return m.status;
}

function preview(m: Item): string {
  if (m.text !== null) return m.text;
  if (m.hex !== null) return `hex ${m.hex.slice(0, 48)}${m.hex.length > 48 ? '…' : ''}`;
  return '';
}

export function MessagesView(props: { readonly id: string | undefined }): ComponentChildren {
  useStore();
  const [dir, setDir] = useState<Direction>('mt');
  const [filters, setFilters] = useState<Filters>(NO_FILTERS);
  const [items, setItems] = useState<Item[]>([]);
  const [next, setNext] = useState<string | null>(null);
  const [total, setTotal] = useState(0);
  const [error, setError] = useState<string | undefined>(undefined);
  const [selected, setSelected] = useState<number | undefined>(undefined);
  const loadingMore = useRef(false);
  const base = dir === 'mt' ? '/messages' : '/mo';

  // The newest page, on every change of the inbox (at most every REFRESH_MS) and filter.
  const lastLoad = useRef(0);
  const version = store.messagesVersion;
  useEffect(() => {
    const controller = new AbortController();
    const wait = Math.max(0, lastLoad.current + REFRESH_MS - Date.now());
    const timer = setTimeout(() => {
      lastLoad.current = Date.now();
      api<Page<Item>>('GET', `${base}?${query(filters)}`, { signal: controller.signal })
        .then((page) => {
          setError(undefined);
          setTotal(page.total);
          setItems((old) => {
            if (old.length <= PAGE) {
              setNext(page.next);
              return [...page.messages];
            }
            // Keep the older pages already loaded; replace the head.
            const oldest = page.messages[page.messages.length - 1];
            const cut = oldest === undefined ? 0 : old.findIndex((m) => m.seq < oldest.seq);
            return cut < 0 ? [...page.messages] : [...page.messages, ...old.slice(cut)];
          });
        })
        .catch((e: unknown) => {
          if (!controller.signal.aborted) setError(errorMessage(e));
        });
    }, wait);
    return () => {
      clearTimeout(timer);
      controller.abort();
    };
  }, [version, filters, base]);

  const loadMore = useCallback(() => {
    if (next === null || loadingMore.current) return;
    loadingMore.current = true;
    api<Page<Item>>('GET', `${base}?${query(filters, next)}`)
      .then((page) => {
        setItems((old) => {
          const seen = new Set(old.map((m) => m.id));
          return [...old, ...page.messages.filter((m) => !seen.has(m.id))];
        });
        setNext(page.next);
      })
      .catch((e: unknown) => {
        setError(errorMessage(e));
      })
      .finally(() => {
        loadingMore.current = false;
      });
  }, [next, filters, base]);

  const openId = props.id;
  const sel =
    selected !== undefined && selected < items.length
      ? selected
      : openId !== undefined
        ? items.findIndex((m) => m.id === openId)
        : -1;
  const set = (k: keyof Filters) => (e: Event) => {
    const v = (e.currentTarget as HTMLInputElement).value;
    setFilters((f) => ({ ...f, [k]: v }));
    setSelected(undefined);
  };

  return (
    <section class="view messages" aria-labelledby="messages-title">
      <div class="toolbar wrap">
        <h2 id="messages-title">Messages</h2>
        <div class="seg" role="radiogroup" aria-label="Direction">
          {(['mt', 'mo'] as const).map((d) => (
            <label key={d} class={dir === d ? 'on' : ''}>
              <input
                type="radio"
                name="direction"
                checked={dir === d}
                onChange={() => {
                  setDir(d);
                  setItems([]);
                  setSelected(undefined);
                }}
              />
              {d === 'mt' ? 'Submitted' : 'MO sent'}
            </label>
          ))}
        </div>
        <label class="search">
          <span class="sr-only">Search text</span>
          <input
            type="search"
            id="message-search"
            placeholder="Search text (or /regex/)  [/]"
            value={filters.text}
            onInput={set('text')}
          />
        </label>
        <label>
          To <input class="short" value={filters.to} onInput={set('to')} placeholder="4670*" />
        </label>
        <label>
          From <input class="short" value={filters.from} onInput={set('from')} />
        </label>
        <label>
          User <input class="short" value={filters.user} onInput={set('user')} />
        </label>
        <label>
          Status{' '}
          <select value={filters.status} onChange={set('status')}>
            <option value="">any</option>
            {(dir === 'mt'
              ? [
                  'pending',
                  'accepted',
                  'rejected',
                  'dropped',
                  'incomplete',
                  'expired',
                  ...Object.values(STATUS_NAMES),
                ]
              : ['pending', 'acknowledged', 'rejected', 'unacknowledged']
            ).map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </label>
        {dir === 'mt' ? (
          <label>
            Rule <input class="short" value={filters.rule} onInput={set('rule')} />
          </label>
        ) : null}
        <span class="dim" role="status" aria-live="polite" data-testid="message-count">
          {total} message{total === 1 ? '' : 's'}
        </span>
        {error !== undefined ? <span class="error">{error}</span> : null}
      </div>
      <div class="split">
        <div class="list-col">
          <div class="msg-row head" aria-hidden="true">
            <span>time</span>
            <span>session</span>
            <span>from</span>
            <span>to</span>
            <span>text</span>
            <span>rule</span>
            <span>status</span>
          </div>
          <VirtualList
            id="message-list"
            label="Messages, newest first"
            count={items.length}
            rowHeight={ROW}
            selected={sel < 0 ? undefined : sel}
            onSelect={setSelected}
            onOpen={(i) => {
              const m = items[i];
              if (m !== undefined) navigate(`#/messages/${m.id}`);
            }}
            onEnd={loadMore}
            empty={
              dir === 'mt'
                ? 'No submitted message yet (or none matches the filters).'
                : 'No MO sent yet (or none matches the filters).'
            }
            renderRow={(i) => {
              const m = items[i];
              if (m === undefined) return null;
              return (
                <div class="msg-row" data-id={m.id}>
                  <span class="time">{clock(m.ts)}</span>
                  <span>{m.session}</span>
                  <span class="mono">{m.from ?? '—'}</span>
                  <span class="mono">{m.to}</span>
                  <span class="text">{preview(m)}</span>
                  <span class="mono">{m.rule ?? 'default'}</span>
                  <span class={`badge ${statusOf(m)}`}>{statusOf(m)}</span>
                </div>
              );
            }}
          />
        </div>
        <div class="detail-col">
          {openId !== undefined ? (
            <MessageDetailPane id={openId} mo={openId.startsWith('mo')} />
          ) : (
            <p class="empty">
              Select a message (↑ ↓, Enter) to see its frames, answer and reports.
            </p>
          )}
        </div>
      </div>
    </section>
  );
}

/** `STX 03:007 TAB …`: the CIMD text with its control bytes made visible. */
export function visibleRaw(raw: string): string {
  return raw.replace(/[\x00-\x1f\x7f]/g, (c) => {
    if (c === '\x02') return '<STX>';
    if (c === '\x03') return '<ETX>';
    if (c === '\t') return '<TAB>';
    return `<${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}>`;
  });
}

function hexGroups(hex: string): string {
  return hex.replace(/(..)/g, '$1 ').trim();
}

function ParamTable(props: {
  readonly params: readonly NamedParam[];
  readonly label: string;
}): ComponentChildren {
  return (
    <table class="grid params" aria-label={props.label}>
      <thead>
        <tr>
          <th scope="col">Code</th>
          <th scope="col">Name</th>
          <th scope="col">Value</th>
        </tr>
      </thead>
      <tbody>
        {props.params.map((p, i) => (
          <tr key={i}>
            <td class="mono">{p.code}</td>
            <td title={p.name}>{p.title !== '' ? p.title : p.name}</td>
            <td class="mono">{p.value}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function FrameView(props: { readonly f: RawFrameView }): ComponentChildren {
  const { f } = props;
  return (
    <details class="frame">
      <summary>
        <span class="time">{clock(f.ts)}</span> {f.dir === 'in' ? '→' : '←'} {f.opName}{' '}
        {String(f.pn).padStart(3, '0')}
      </summary>
      <ParamTable params={f.params} label={`Parameters of ${f.opName} ${f.pn}`} />
      <h5>CIMD text</h5>
      <pre class="raw">{visibleRaw(f.raw)}</pre>
      <h5>Hex</h5>
      <pre class="raw">{hexGroups(f.hex)}</pre>
    </details>
  );
}

function answerText(m: Message): string {
  const a = m.answer;
  switch (a.kind) {
    case 'ok':
      return `OK, 060 ${a.timestamp ?? '?'}`;
    case 'error':
      return `error ${a.errorCode ?? '?'}${a.errorText !== undefined ? ` ${a.errorText}` : ''}`;
    case 'nack':
      return 'NACK (99)';
    case 'general-error':
      return `general error (98) ${a.errorCode ?? ''}`;
    case 'none':
      return 'no answer (dropped or disconnected)';
    case 'pending':
      return 'pending';
  }
}

function MessageDetailPane(props: {
  readonly id: string;
  readonly mo: boolean;
}): ComponentChildren {
  useStore();
  const [detail, setDetail] = useState<MessageDetail | MoDetail | undefined>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);
  const [form, setForm] = useState<'none' | 'report' | 'reply'>('none');
  const last = useRef(0);
  const version = store.messagesVersion;
  useEffect(() => {
    const controller = new AbortController();
    const timer = setTimeout(
      () => {
        last.current = Date.now();
        api<MessageDetail | MoDetail>(
          'GET',
          `/${props.mo ? 'mo' : 'messages'}/${encodeURIComponent(props.id)}`,
          {
            signal: controller.signal,
          },
        )
          .then((d) => {
            setDetail(d);
            setError(undefined);
          })
          .catch((e: unknown) => {
            if (!controller.signal.aborted) setError(errorMessage(e));
          });
      },
      Math.max(0, last.current + REFRESH_MS - Date.now()),
    );
    return () => {
      clearTimeout(timer);
      controller.abort();
    };
  }, [props.id, props.mo, version]);
  useEffect(() => {
    setForm('none');
  }, [props.id]);

  if (error !== undefined) return <p class="error">{error}</p>;
  if (detail?.id !== props.id) return <p class="dim">loading {props.id}…</p>;
  const d = detail;
  const isMt = 'reports' in d;
  return (
    <article class="detail" aria-label={`Message ${d.id}`} data-testid="message-detail">
      <header>
        <h3>
          {d.from ?? '—'} → {d.to}
        </h3>
        <p class="dim">
          {d.id} · {d.session} · user {d.user ?? '—'} · {d.ts} · {d.encoding}
          {d.dcs !== null ? ` (DCS ${d.dcs})` : ''} · {d.parts.length}/{d.partsExpected} part(s)
        </p>
      </header>
      <section aria-label="Text">
        <h4>{d.text !== null ? 'Text' : 'Binary user data'}</h4>
        <pre class="body" data-testid="message-text">
          {d.text ?? (d.hex !== null ? hexGroups(d.hex) : '')}
        </pre>
        {d.udh !== null ? <p class="mono">UDH {hexGroups(d.udh)}</p> : null}
      </section>
      {isMt ? (
        <>
          <div class="actions">
            <button
              type="button"
              aria-expanded={form === 'report'}
              onClick={() => {
                setForm(form === 'report' ? 'none' : 'report');
              }}
            >
              Send status report…
            </button>
            <button
              type="button"
              aria-expanded={form === 'reply'}
              onClick={() => {
                setForm(form === 'reply' ? 'none' : 'reply');
              }}
            >
              Reply as handset…
            </button>
          </div>
          {form === 'report' ? <ReportForm m={d} /> : null}
          {form === 'reply' ? <ReplyForm m={d} /> : null}
          <dl class="facts">
            <dt>Answer</dt>
            <dd data-testid="message-answer">{answerText(d)}</dd>
            <dt>Rule</dt>
            <dd class="mono" data-testid="message-rule">
              {d.rule ?? 'default'}
            </dd>
            <dt>Status</dt>
            <dd>
              <span class={`badge ${d.status}`}>{d.status}</span>
              {d.report !== null ? <span class={`badge ${d.report}`}>{d.report}</span> : null}
            </dd>
          </dl>
          {d.explanations.length > 0 ? (
            <details class="explain">
              <summary>Why this answer</summary>
              <pre>{d.explanations.join('\n')}</pre>
            </details>
          ) : null}
          <h4>Status report timeline</h4>
          {d.reports.length === 0 ? (
            <p class="dim">No status report (yet).</p>
          ) : (
            <ol class="timeline" data-testid="report-timeline">
              {d.reports.map((s, i) => (
                <li key={i} class={`step ${s.step}`}>
                  <span class="time">{clock(s.ts)}</span> <strong>{s.step}</strong>{' '}
                  {s.status !== null ? <span class={`badge ${s.status}`}>{s.status}</span> : null}
                  {s.at !== undefined ? <span class="dim"> due {clock(s.at)}</span> : null}
                  {s.errorCode !== undefined ? <span> error {s.errorCode}</span> : null}
                  {s.reason !== undefined ? <span class="dim"> ({s.reason})</span> : null}
                  {s.pn !== undefined ? (
                    <span class="dim"> pn {String(s.pn).padStart(3, '0')}</span>
                  ) : null}
                </li>
              ))}
            </ol>
          )}
        </>
      ) : (
        <dl class="facts">
          <dt>Client answer</dt>
          <dd>
            {d.answer.kind}
            {d.answer.errorCode !== undefined ? ` ${d.answer.errorCode}` : ''}
          </dd>
          <dt>Rule</dt>
          <dd class="mono">{d.rule ?? 'injected'}</dd>
        </dl>
      )}
      {d.options.length > 0 ? (
        <>
          <h4>Parameters</h4>
          <ParamTable params={d.options} label="Message parameters" />
        </>
      ) : null}
      <h4>Frames</h4>
      {d.framesTruncated ? <p class="dim">Older frames left the in-memory transcript.</p> : null}
      {d.frames.map((f) => (
        <FrameView key={f.seq} f={f} />
      ))}
    </article>
  );
}

function ReportForm(props: { readonly m: Message }): ComponentChildren {
  const { m } = props;
  const [status, setStatus] = useState('delivered');
  const [errorCode, setErrorCode] = useState('');
  const [result, setResult] = useState('');
  const send = (e: Event): void => {
    e.preventDefault();
    if (m.timestamp === null) return;
    setResult('sending…');
    api<{ packetNumbers: number[]; acknowledged: boolean }>('POST', '/status-report', {
      body: {
        session: m.session,
        destination: m.to,
        timestamp: m.timestamp,
        status,
        ...(errorCode.trim() !== '' ? { errorCode: Number(errorCode) } : {}),
      },
    })
      .then((r) => {
        setResult(
          `sent (pn ${r.packetNumbers.join(', ')}, ${r.acknowledged ? 'acknowledged' : 'not acknowledged'})`,
        );
      })
      .catch((err: unknown) => {
        setResult(`not sent: ${errorMessage(err)}`);
      });
  };
  if (m.timestamp === null)
    return <p class="dim">No positive answer with a 060: nothing to report on.</p>;
  return (
    <form class="inline-form" aria-label="Send status report" onSubmit={send}>
      <label>
        Status{' '}
        <select
          value={status}
          onChange={(e) => {
            setStatus(e.currentTarget.value);
          }}
        >
          {Object.values(STATUS_NAMES).map((s) => (
            <option key={s} value={s}>
              {s}
            </option>
          ))}
        </select>
      </label>
      <label>
        Error code (062){' '}
        <input
          class="short"
          inputMode="numeric"
          pattern="\d{0,3}"
          value={errorCode}
          onInput={(e) => {
            setErrorCode(e.currentTarget.value);
          }}
        />
      </label>
      <button type="submit">Send report</button>
      <span role="status" aria-live="polite">
        {result}
      </span>
    </form>
  );
}

const ADDRESS = /^[0-9+-]{1,20}$/;

function ReplyForm(props: { readonly m: Message }): ComponentChildren {
  const { m } = props;
  const [text, setText] = useState('');
  const [result, setResult] = useState('');
  if (m.from === null || !ADDRESS.test(m.from)) {
    return <p class="dim">The originator is not a phone number: a handset cannot reply to it.</p>;
  }
  const to = m.from;
  const send = (e: Event): void => {
    e.preventDefault();
    setResult('sending…');
    const live = store.sessions.get(m.session);
    const target =
      live !== undefined && live.state !== 'closed'
        ? { session: m.session }
        : m.user !== null
          ? { user: m.user }
          : {};
    api<{ packetNumbers: number[]; acknowledged: boolean }>('POST', '/deliver', {
      body: { ...target, from: m.to, to, text },
    })
      .then((r) => {
        setResult(
          `sent (pn ${r.packetNumbers.join(', ')}, ${r.acknowledged ? 'acknowledged' : 'not acknowledged'})`,
        );
      })
      .catch((err: unknown) => {
        setResult(`not sent: ${errorMessage(err)}`);
      });
  };
  return (
    <form class="inline-form" aria-label="Reply as handset" onSubmit={send}>
      <span class="dim">
        from {m.to} to {to}
      </span>
      <label>
        Reply text{' '}
        <input
          value={text}
          onInput={(e) => {
            setText(e.currentTarget.value);
          }}
        />
      </label>
      <button type="submit">Send reply</button>
      <span role="status" aria-live="polite">
        {result}
      </span>
    </form>
  );
}
