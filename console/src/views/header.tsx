/** The header: where the mock listens, its scenario, sessions, submits/s sparkline, errors. */
import type { ComponentChildren } from 'preact';
import type { HealthView } from '../../../src/control/inbox-types.js';
import { api } from '../api.js';
import { useStore, useThrottledLoad } from '../hooks.js';
import { store, type ConnectionState } from '../store.js';

const CONNECTION_TEXT: Record<ConnectionState, string> = {
  connecting: 'connecting…',
  live: 'live',
  reconnecting: 'catching up…',
  unauthorized: 'login needed',
  offline: 'offline',
};

function Sparkline(props: { readonly values: readonly number[] }): ComponentChildren {
  const w = 120;
  const h = 24;
  const max = Math.max(1, ...props.values);
  const n = props.values.length;
  const points = props.values
    .map(
      (v, i) =>
        `${((i / Math.max(1, n - 1)) * w).toFixed(1)},${(h - 1 - (v / max) * (h - 2)).toFixed(1)}`,
    )
    .join(' ');
  const last = props.values[n - 1] ?? 0;
  const prev = props.values[n - 2] ?? 0;
  return (
    <span class="spark" title={`submits per second, last ${n} s (max ${max})`}>
      <svg
        width={w}
        height={h}
        viewBox={`0 0 ${w} ${h}`}
        role="img"
        aria-label={`submits per second: ${prev} in the last full second`}
      >
        <polyline points={points} fill="none" stroke="currentColor" stroke-width="1.5" />
      </svg>
      <span class="num">{Math.max(last, prev)}/s</span>
    </span>
  );
}

export function Header(): ComponentChildren {
  useStore();
  const health = useThrottledLoad(
    (signal) => api<HealthView>('GET', '/health', { signal }),
    store.rulesVersion,
    1000,
  );
  const h = health.value as Partial<HealthView> | undefined;
  const open = [...store.sessions.values()].filter((s) => s.state !== 'closed').length;
  // Older servers answer `/health` with `{ status }` only: every field is optional here.
  const address =
    typeof h?.host === 'string' && typeof h.port === 'number'
      ? `${h.host.includes(':') ? `[${h.host}]` : h.host}:${h.port}`
      : store.server.address;
  const name = store.server.scenarioName ?? h?.scenario?.name;
  const file = store.server.scenarioFile ?? h?.scenario?.file;
  const source = store.server.scenarioSource ?? h?.scenario?.source;
  return (
    <header class="top" role="banner">
      <h1>
        <a href="#/messages">cimd2-mock</a>
      </h1>
      <dl class="facts-inline">
        <div>
          <dt>CIMD2</dt>
          <dd class="mono" data-testid="listen-address">
            {address ?? '…'}
          </dd>
        </div>
        <div>
          <dt>Scenario</dt>
          <dd title={file}>
            {name ?? '…'}{' '}
            <span class="dim">
              ({source === 'api' ? 'set through the API' : (file?.split(/[\\/]/).pop() ?? '')})
            </span>
          </dd>
        </div>
        <div>
          <dt>Sessions</dt>
          <dd class="num" data-testid="session-count">
            {open}
          </dd>
        </div>
        <div>
          <dt>Submits</dt>
          <dd>
            <Sparkline values={store.rates} />
          </dd>
        </div>
        <div>
          <dt>Errors</dt>
          <dd class={store.errors > 0 ? 'num bad' : 'num'}>{store.errors}</dd>
        </div>
      </dl>
      <span class={`conn ${store.connection}`} role="status" title={store.connectionDetail}>
        {CONNECTION_TEXT[store.connection]}
      </span>
    </header>
  );
}
