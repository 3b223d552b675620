/**
 * Conversation: the ladder of one session, live. Client on the left, the mock on the right;
 * requests and answers as arrows, the deciding rule at the end of each request, the near-miss
 * explanation of an unmatched request beneath it, other events in the middle.
 */
import type { ComponentChildren } from 'preact';
import { useEffect, useMemo, useState } from 'preact/hooks';
import type { TranscriptRecord } from '../../../src/transcript/record.js';
import { clock, useStore } from '../hooks.js';
import { recordsOf } from '../records.js';
import { followEvents } from '../sse.js';
import { ladderRows, type LadderRow } from '../ladder.js';
import { navigate } from '../route.js';
import { store } from '../store.js';
import { VirtualList } from '../virtual-list.js';

const ROW = 24;
/** Records of the session kept for the ladder (older ones scroll out). */
export const LINES_KEPT = 5000;

/** Follows one session's records (`GET /events?session=…&batch=true`, from the oldest kept). */
function useSessionFeed(id: string | undefined): { lines: TranscriptRecord[]; version: number } {
  const [feed] = useState(() => ({
    lines: [] as TranscriptRecord[],
    id: undefined as string | undefined,
  }));
  const [version, setVersion] = useState(0);
  useEffect(() => {
    feed.lines = [];
    feed.id = id;
    setVersion((v) => v + 1);
    if (id === undefined) return undefined;
    const controller = new AbortController();
    let frame = 0;
    let last = 0;
    void followEvents(
      `/events?session=${encodeURIComponent(id)}&since=0&batch=true`,
      {
        onEvent(e) {
          let added = false;
          for (const r of recordsOf(e)) {
            if (!('session' in r) || r.session !== id || r.seq <= last) continue;
            last = r.seq;
            feed.lines.push(r);
            added = true;
          }
          if (!added) return;
          if (feed.lines.length > LINES_KEPT) feed.lines.splice(0, feed.lines.length - LINES_KEPT);
          if (frame === 0) {
            frame = requestAnimationFrame(() => {
              frame = 0;
              setVersion((v) => v + 1);
            });
          }
        },
        onOpen() {
          /* the global stream shows the connection state */
        },
        onDrop() {
          /* resumed with Last-Event-ID */
        },
        onFatal() {
          /* the global stream reports it */
        },
      },
      controller.signal,
    );
    return () => {
      controller.abort();
      cancelAnimationFrame(frame);
    };
  }, [id, feed]);
  return { lines: feed.lines, version };
}

const ARROWS: Record<LadderRow['dir'], string> = {
  in: '→',
  out: '←',
  bad: '✗',
  event: '·',
  explain: '',
};

export function ConversationView(props: {
  readonly session: string | undefined;
}): ComponentChildren {
  useStore();
  const ids = store.sessionList().map((s) => s.id);
  const id = props.session ?? ids[0];
  const session = id === undefined ? undefined : store.sessions.get(id);
  const feed = useSessionFeed(id);
  const rows = useMemo(() => ladderRows(feed.lines), [feed.lines, feed.version]);
  const [selected, setSelected] = useState<number | undefined>(undefined);
  const [follow, setFollow] = useState(true);
  const sel = follow && rows.length > 0 ? rows.length - 1 : selected;
  const chosen = sel === undefined ? undefined : rows[sel];
  return (
    <section class="view" aria-labelledby="conv-title">
      <div class="toolbar">
        <h2 id="conv-title">Conversation</h2>
        <label>
          Session{' '}
          <select
            value={id ?? ''}
            onChange={(e) => {
              navigate(`#/conversation/${e.currentTarget.value}`);
            }}
          >
            {ids.map((s) => {
              const v = store.sessions.get(s);
              return (
                <option key={s} value={s}>
                  {s} {v?.user ?? ''} {v?.state === 'closed' ? '(closed)' : ''}
                </option>
              );
            })}
          </select>
        </label>
        <label class="check">
          <input
            type="checkbox"
            checked={follow}
            onChange={(e) => {
              setFollow(e.currentTarget.checked);
            }}
          />
          follow
        </label>
        {session !== undefined ? (
          <span class="dim">
            {session.remote} · {session.user ?? 'not logged in'} · {session.state}
          </span>
        ) : null}
      </div>
      <div class="ladder-head" aria-hidden="true">
        <span>time</span>
        <span class="lanes">
          <span>client {session?.user ?? ''}</span>
          <span>cimd2-mock</span>
        </span>
      </div>
      <VirtualList
        id="ladder"
        label={`Conversation of ${id ?? 'no session'}`}
        count={rows.length}
        rowHeight={ROW}
        selected={sel}
        onSelect={(i) => {
          setFollow(false);
          setSelected(i);
        }}
        empty="No session yet."
        renderRow={(i) => {
          const r = rows[i];
          if (r === undefined) return null;
          return (
            <div class={`ladder-row dir-${r.dir}${r.error === true ? ' error' : ''}`}>
              <span class="time">{clock(r.ts)}</span>
              <span class="rung">
                {r.dir === 'in' || r.dir === 'out' ? (
                  <span
                    class="line"
                    aria-label={r.dir === 'in' ? 'client to mock' : 'mock to client'}
                  />
                ) : (
                  <span class="arrow">{ARROWS[r.dir]}</span>
                )}
                <span class="text">{r.text}</span>
                {r.tag !== undefined ? (
                  <span class={`tag ${r.tag === 'unmatched' ? 'bad' : ''}`}>[{r.tag}]</span>
                ) : null}
              </span>
            </div>
          );
        }}
      />
      {chosen !== undefined ? (
        <details class="record-detail">
          <summary>
            Record #{chosen.seq} ({chosen.record.kind})
          </summary>
          <pre>{JSON.stringify(chosen.record, null, 2)}</pre>
        </details>
      ) : null}
    </section>
  );
}
