/**
 * Scenario: the YAML in force in an editor with line numbers, validated as you type (`POST
 * /scenario/validate`, nothing applied) with each issue at its line; Apply swaps it in (`PUT
 * /scenario`), Revert reloads the text in force. Beside it: the rules with their hit counts
 * and `times` left, the current state, and "set state".
 */
import type { ComponentChildren } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import type { RulesView } from '../../../src/control/inbox-types.js';
import { ApiError, api, errorMessage, type Issue } from '../api.js';
import { useStore, useThrottledLoad } from '../hooks.js';
import { store } from '../store.js';

interface ScenarioBody {
  readonly name: string;
  readonly file: string;
  readonly source: string;
  readonly rules: number;
  readonly text: string;
}
type RulesBody = RulesView;
interface StateBody {
  readonly state: string;
  readonly states: readonly string[];
}
interface ValidateBody {
  readonly valid?: boolean;
  readonly issues?: readonly Issue[];
}

const YAML = 'application/yaml';
const VALIDATE_DELAY_MS = 250;
/** Editor metrics (px), as console.css sets them: line height and top padding. */
const LINE_HEIGHT = 18;
const EDITOR_PAD = 6;

export function ScenarioView(): ComponentChildren {
  useStore();
  const [loaded, setLoaded] = useState<ScenarioBody | undefined>(undefined);
  const [text, setText] = useState<string | undefined>(undefined);
  const [issues, setIssues] = useState<readonly Issue[]>([]);
  const [checking, setChecking] = useState<
    'idle' | 'checking' | 'valid' | 'invalid' | 'unavailable'
  >('idle');
  const [status, setStatus] = useState('');
  const gutter = useRef<HTMLDivElement>(null);
  const editor = useRef<HTMLTextAreaElement>(null);
  const bands = useRef<HTMLDivElement>(null);

  const load = (): void => {
    api<ScenarioBody>('GET', '/scenario')
      .then((s) => {
        setLoaded(s);
        setText(s.text);
        setIssues([]);
        setChecking('valid');
      })
      .catch((e: unknown) => {
        setStatus(`could not read the scenario: ${errorMessage(e)}`);
      });
  };
  useEffect(load, []);

  // Validate as you type (debounced; a newer edit aborts the older check).
  useEffect(() => {
    if (text === undefined || loaded === undefined || text === loaded.text) return undefined;
    const controller = new AbortController();
    const timer = setTimeout(() => {
      setChecking('checking');
      api<ValidateBody>('POST', `/scenario/validate?file=${encodeURIComponent(loaded.file)}`, {
        text: { type: YAML, value: text },
        signal: controller.signal,
      })
        .then((body) => {
          const found = body.issues ?? [];
          setIssues(found);
          setChecking(found.length === 0 && body.valid !== false ? 'valid' : 'invalid');
        })
        .catch((e: unknown) => {
          if (controller.signal.aborted) return;
          if (e instanceof ApiError && e.issues.length > 0) {
            setIssues(e.issues);
            setChecking('invalid');
          } else if (e instanceof ApiError && (e.status === 404 || e.status === 405)) {
            setChecking('unavailable');
          } else setStatus(`validation failed: ${errorMessage(e)}`);
        });
    }, VALIDATE_DELAY_MS);
    return () => {
      clearTimeout(timer);
      controller.abort();
    };
  }, [text, loaded]);

  const apply = (): void => {
    if (text === undefined || loaded === undefined) return;
    setStatus('applying…');
    api<{ name: string; rules: number }>(
      'PUT',
      `/scenario?file=${encodeURIComponent(loaded.file)}`,
      {
        text: { type: YAML, value: text },
      },
    )
      .then((r) => {
        setStatus(`applied: ${r.name} (${r.rules} rules)`);
        load();
        rules.reload();
        state.reload();
      })
      .catch((e: unknown) => {
        if (e instanceof ApiError && e.issues.length > 0) {
          setIssues(e.issues);
          setChecking('invalid');
          setStatus(`not applied: ${e.issues.length} issue(s); the rules in force keep answering`);
        } else setStatus(`not applied: ${errorMessage(e)}`);
      });
  };

  const rules = useThrottledLoad(
    (signal) => api<RulesBody>('GET', '/rules', { signal }),
    // Hit counts, times left and the state move with every answer: re-read when traffic moved
    // (messagesVersion follows the frame counters), not only when the scenario changed.
    `${store.rulesVersion}/${store.messagesVersion}`,
    300,
  );
  const state = useThrottledLoad(
    (signal) => api<StateBody>('GET', '/state', { signal }),
    `${store.rulesVersion}/${store.messagesVersion}`,
    300,
  );
  const [nextState, setNextState] = useState('');
  const setStateNow = (): void => {
    const want = nextState.trim();
    if (want === '') return;
    api<StateBody>('PUT', '/state', { body: { state: want } })
      .then((s) => {
        setStatus(`state is now ${s.state}`);
        state.reload();
      })
      .catch((e: unknown) => {
        setStatus(`could not set state: ${errorMessage(e)}`);
      });
  };

  const value = text ?? '';
  const lineCount = value.split('\n').length;
  const byLine = new Map<number, Issue[]>();
  for (const i of issues) byLine.set(i.line, [...(byLine.get(i.line) ?? []), i]);
  const dirty = loaded !== undefined && text !== loaded.text;
  const gutterLines: ComponentChildren[] = [];
  for (let n = 1; n <= lineCount; n++) {
    const here = byLine.get(n);
    gutterLines.push(
      <div
        key={n}
        class={here !== undefined ? 'ln has-issue' : 'ln'}
        title={here?.map((i) => `${n}:${i.col} ${i.message}`).join('\n')}
        data-line={n}
      >
        {here !== undefined ? '● ' : ''}
        {n}
      </div>,
    );
  }

  return (
    <section class="view scenario" aria-labelledby="scenario-title">
      <div class="toolbar">
        <h2 id="scenario-title">Scenario</h2>
        <span class="dim">
          {loaded?.name ?? ''} · {loaded?.file ?? ''} · {loaded?.source ?? ''}
        </span>
        <span
          class={`check-state ${checking}`}
          role="status"
          aria-live="polite"
          data-testid="validity"
        >
          {checking === 'checking'
            ? 'checking…'
            : checking === 'valid'
              ? dirty
                ? 'valid — not applied yet'
                : 'in force'
              : checking === 'invalid'
                ? `${issues.length} issue(s)`
                : checking === 'unavailable'
                  ? 'validation unavailable'
                  : ''}
        </span>
        <button type="button" onClick={apply} disabled={!dirty || checking === 'invalid'}>
          Apply
        </button>
        <button type="button" onClick={load} disabled={!dirty}>
          Revert
        </button>
      </div>
      <div class="scenario-body">
        <div class="editor-col">
          <div class="editor">
            <div class="gutter" ref={gutter} aria-hidden="true">
              {gutterLines}
            </div>
            <div class="code">
              <div class="bands" ref={bands} aria-hidden="true">
                {[...byLine].map(([line, here]) => (
                  <div
                    key={line}
                    class="band"
                    data-line={line}
                    style={{ top: `${(line - 1) * LINE_HEIGHT + EDITOR_PAD}px` }}
                  >
                    <span class="band-msg">{here.map((i) => i.message).join(' · ')}</span>
                  </div>
                ))}
              </div>
              <textarea
                ref={editor}
                aria-label="Scenario YAML"
                aria-invalid={issues.length > 0}
                aria-describedby="scenario-issues"
                spellcheck={false}
                wrap="off"
                value={value}
                onInput={(e) => {
                  setText(e.currentTarget.value);
                }}
                onScroll={(e) => {
                  const { scrollTop } = e.currentTarget;
                  if (gutter.current !== null) gutter.current.scrollTop = scrollTop;
                  if (bands.current !== null)
                    bands.current.style.transform = `translateY(${-scrollTop}px)`;
                }}
                onKeyDown={(e) => {
                  if ((e.ctrlKey || e.metaKey) && e.key === 's') {
                    e.preventDefault();
                    apply();
                  }
                }}
              />
            </div>
          </div>
          <ul class="issues" id="scenario-issues" aria-label="Scenario issues">
            {issues.map((i, k) => (
              <li key={k} data-line={i.line}>
                <button
                  type="button"
                  class="link"
                  onClick={() => {
                    goToLine(editor.current, i.line, i.col);
                  }}
                >
                  line {i.line}:{i.col}
                </button>{' '}
                {i.message}
              </li>
            ))}
          </ul>
          <p class="status" role="status" aria-live="polite">
            {status}
          </p>
        </div>
        <aside class="rules-col" aria-label="Rules and state">
          <h3>State</h3>
          <p>
            current: <strong data-testid="current-state">{state.value?.state ?? '…'}</strong>
          </p>
          <div class="row">
            <label>
              Set state{' '}
              <input
                list="known-states"
                value={nextState}
                onInput={(e) => {
                  setNextState(e.currentTarget.value);
                }}
              />
            </label>
            <datalist id="known-states">
              {(state.value?.states ?? []).map((s) => (
                <option key={s} value={s} />
              ))}
            </datalist>
            <button type="button" onClick={setStateNow}>
              Set state
            </button>
          </div>
          <h3>Rules</h3>
          <table class="grid" aria-label="Rules">
            <thead>
              <tr>
                <th scope="col">Rule</th>
                <th scope="col">In state</th>
                <th scope="col" class="num">
                  Hits
                </th>
                <th scope="col" class="num">
                  Times left
                </th>
              </tr>
            </thead>
            <tbody>
              {(rules.value?.rules ?? []).map((r) => (
                <tr key={r.id} data-rule={r.id}>
                  <td class="mono" title={r.description}>
                    <button
                      type="button"
                      class="link mono"
                      title={`line ${r.line}${r.description !== undefined ? `: ${r.description}` : ''}`}
                      onClick={() => {
                        goToLine(editor.current, r.line, 1);
                      }}
                    >
                      {r.id}
                    </button>
                    {r.setState !== undefined ? <span class="dim"> → {r.setState}</span> : null}
                  </td>
                  <td class="mono dim">{r.whenState?.join(', ') ?? 'any'}</td>
                  <td class="num">{r.uses}</td>
                  <td class="num">{r.timesLeft ?? '∞'}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {rules.error !== undefined ? <p class="error">{rules.error}</p> : null}
        </aside>
      </div>
    </section>
  );
}

/** Puts the caret at `line:col` of the textarea and scrolls it into view. */
function goToLine(el: HTMLTextAreaElement | null, line: number, col: number): void {
  if (el === null) return;
  const lines = el.value.split('\n');
  let pos = 0;
  for (let i = 0; i < line - 1 && i < lines.length; i++) pos += (lines[i]?.length ?? 0) + 1;
  pos += Math.max(0, col - 1);
  el.focus();
  el.setSelectionRange(pos, pos);
  const lh = parseFloat(getComputedStyle(el).lineHeight) || 18;
  el.scrollTop = Math.max(0, (line - 3) * lh);
}
