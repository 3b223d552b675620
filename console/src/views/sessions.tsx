/** Sessions: the live list of connections, disconnect, send an MO, open the conversation. */
import type { ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';
import { api, errorMessage } from '../api.js';
import { ago, clock, useStore } from '../hooks.js';
import { store } from '../store.js';
import { refreshSessions } from '../live.js';
import { navigate } from '../route.js';

export function SessionsView(): ComponentChildren {
  useStore();
  const [status, setStatus] = useState('');
  const [showClosed, setShowClosed] = useState(true);
  const now = Date.now();
  const list = store.sessionList().filter((s) => showClosed || s.state !== 'closed');
  const disconnect = (id: string, reset: boolean): void => {
    setStatus(`closing ${id}…`);
    api('DELETE', `/sessions/${encodeURIComponent(id)}${reset ? '?reset=true' : ''}`)
      .then(() => {
        setStatus(`${id} closed`);
        refreshSessions().catch(() => undefined);
      })
      .catch((e: unknown) => {
        setStatus(`could not close ${id}: ${errorMessage(e)}`);
      });
  };
  return (
    <section class="view" aria-labelledby="sessions-title">
      <div class="toolbar">
        <h2 id="sessions-title">Sessions</h2>
        <label class="check">
          <input
            type="checkbox"
            checked={showClosed}
            onChange={(e) => {
              setShowClosed(e.currentTarget.checked);
            }}
          />
          show closed
        </label>
        <span class="status" role="status" aria-live="polite">
          {status}
        </span>
      </div>
      <div class="table-wrap">
        <table class="grid" aria-label="Sessions">
          <thead>
            <tr>
              <th scope="col">Session</th>
              <th scope="col">User</th>
              <th scope="col">Remote address</th>
              <th scope="col">Since</th>
              <th scope="col" class="num">
                Frames in
              </th>
              <th scope="col" class="num">
                Frames out
              </th>
              <th scope="col" class="num">
                Outstanding
              </th>
              <th scope="col" class="num">
                Window
              </th>
              <th scope="col">State</th>
              <th scope="col">Actions</th>
            </tr>
          </thead>
          <tbody>
            {list.length === 0 ? (
              <tr>
                <td colSpan={10} class="empty">
                  No session yet: connect a CIMD2 client to the mock.
                </td>
              </tr>
            ) : (
              list.map((s) => (
                <tr key={s.id} class={`session-${s.state}`} data-session={s.id}>
                  <td>
                    <a href={`#/conversation/${s.id}`}>{s.id}</a>
                  </td>
                  <td>{s.user ?? '—'}</td>
                  <td class="mono">{s.remote}</td>
                  <td title={s.since}>
                    {clock(s.since)} <span class="dim">({ago(s.since, now)})</span>
                  </td>
                  <td class="num">{s.framesIn}</td>
                  <td class="num">{s.framesOut}</td>
                  <td class="num">{s.outstanding}</td>
                  <td class="num">{s.window ?? '—'}</td>
                  <td>
                    <span class={`badge ${s.state}`}>{s.state}</span>
                    {s.closed !== undefined ? <span class="dim"> {s.closed}</span> : null}
                  </td>
                  <td class="actions">
                    {s.state !== 'closed' ? (
                      <>
                        <button
                          type="button"
                          aria-label={`Disconnect ${s.id}`}
                          onClick={() => {
                            disconnect(s.id, false);
                          }}
                        >
                          Disconnect
                        </button>
                        <button
                          type="button"
                          aria-label={`Send an MO to ${s.id}`}
                          disabled={s.state !== 'authenticated'}
                          onClick={() => {
                            navigate(`#/compose?session=${encodeURIComponent(s.id)}`);
                          }}
                        >
                          Send MO…
                        </button>
                      </>
                    ) : null}
                  </td>
                </tr>
              ))
            )}
          </tbody>
        </table>
      </div>
    </section>
  );
}
