/**
 * The web console of cimd2-mock: one page served by the control API, talking only to it.
 * Views: Messages, Sessions, Conversation, Scenario, Compose (hash routes, keys 1–5).
 */
import type { ComponentChildren } from 'preact';
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { api, errorMessage, onUnauthorized } from './api.js';
import { useStore } from './hooks.js';
import { startLive } from './live.js';
import { navigate, parseRoute, VIEWS, type Route } from './route.js';
import { store } from './store.js';
import { ComposeView } from './views/compose.js';
import { ConversationView } from './views/conversation.js';
import { Header } from './views/header.js';
import { MessagesView } from './views/messages.js';
import { ScenarioView } from './views/scenario.js';
import { SessionsView } from './views/sessions.js';

let live: AbortController | undefined;

function restart(): void {
  live?.abort();
  live = new AbortController();
  void startLive(live.signal);
}

function Login(): ComponentChildren {
  const [token, setToken] = useState('');
  const [error, setError] = useState('');
  return (
    <form
      class="login"
      aria-labelledby="login-title"
      onSubmit={(e) => {
        e.preventDefault();
        api('POST', '/login', { body: { token } })
          .then(() => {
            setError('');
            restart();
          })
          .catch((err: unknown) => {
            setError(errorMessage(err));
          });
      }}
    >
      <h2 id="login-title">Log in</h2>
      <p>
        This mock's control API needs its admin token. It is sent once; the browser then keeps a
        session cookie.
      </p>
      <label for="login-token">Admin token</label>
      <input
        id="login-token"
        type="password"
        autocomplete="current-password"
        value={token}
        onInput={(e) => {
          setToken(e.currentTarget.value);
        }}
      />
      <button type="submit">Log in</button>
      <p class="error" role="alert">
        {error}
      </p>
    </form>
  );
}

function App(): ComponentChildren {
  useStore();
  const [route, setRoute] = useState<Route>(parseRoute(location.hash));
  useEffect(() => {
    const onHash = (): void => {
      setRoute(parseRoute(location.hash));
    };
    const onKey = (e: KeyboardEvent): void => {
      const t = e.target as HTMLElement | null;
      const typing =
        t !== null && (t.tagName === 'INPUT' || t.tagName === 'TEXTAREA' || t.tagName === 'SELECT');
      if (typing || e.ctrlKey || e.metaKey || e.altKey) return;
      const view = VIEWS.find((v) => v.key === e.key);
      if (view !== undefined) {
        e.preventDefault();
        navigate(`#/${view.name}`);
      } else if (e.key === '/') {
        const search = document.getElementById('message-search');
        if (search !== null) {
          e.preventDefault();
          search.focus();
        }
      }
    };
    addEventListener('hashchange', onHash);
    addEventListener('keydown', onKey);
    return () => {
      removeEventListener('hashchange', onHash);
      removeEventListener('keydown', onKey);
    };
  }, []);
  useEffect(() => {
    document.title = `${VIEWS.find((v) => v.name === route.view)?.title ?? ''} · cimd2-mock`;
  }, [route.view]);

  let body: ComponentChildren;
  if (store.connection === 'unauthorized') body = <Login />;
  else {
    switch (route.view) {
      case 'messages':
        body = <MessagesView id={route.arg} />;
        break;
      case 'sessions':
        body = <SessionsView />;
        break;
      case 'conversation':
        body = <ConversationView session={route.arg} />;
        break;
      case 'scenario':
        body = <ScenarioView />;
        break;
      case 'compose': {
        const q = route.query;
        const preset = Object.fromEntries(
          ['session', 'user', 'from', 'to', 'timestamp', 'destination']
            .map((k) => [k, q.get(k)] as const)
            .filter((e): e is readonly [string, string] => e[1] !== null),
        );
        body = <ComposeView key={q.toString()} preset={preset} />;
        break;
      }
    }
  }
  return (
    <>
      <a
        class="skip"
        href="#main"
        onClick={(e) => {
          e.preventDefault();
          document.getElementById('main')?.focus();
        }}
      >
        Skip to content
      </a>
      <Header />
      <nav class="tabs" aria-label="Views">
        {VIEWS.map((v) => (
          <a
            key={v.name}
            href={`#/${v.name}`}
            aria-current={route.view === v.name ? 'page' : undefined}
            aria-keyshortcuts={v.key}
            title={`${v.title} (${v.key})`}
          >
            {v.title}
          </a>
        ))}
      </nav>
      <main id="main" tabIndex={-1}>
        {body}
      </main>
    </>
  );
}

onUnauthorized(() => {
  store.setConnection('unauthorized');
});
const root = document.getElementById('app');
if (root !== null) {
  root.textContent = '';
  render(<App />, root);
  // The browser suite reads this: the first render, in ms since navigation started.
  performance.mark('console-rendered');
}
restart();
