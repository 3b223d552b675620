/** Hash routes: `#/messages`, `#/sessions`, `#/conversation/c1`, `#/scenario`, `#/compose?…`. */
export type ViewName = 'messages' | 'sessions' | 'conversation' | 'scenario' | 'compose';

export const VIEWS: readonly {
  readonly name: ViewName;
  readonly title: string;
  readonly key: string;
}[] = [
  { name: 'messages', title: 'Messages', key: '1' },
  { name: 'sessions', title: 'Sessions', key: '2' },
  { name: 'conversation', title: 'Conversation', key: '3' },
  { name: 'scenario', title: 'Scenario', key: '4' },
  { name: 'compose', title: 'Compose', key: '5' },
];

export interface Route {
  readonly view: ViewName;
  /** The part after the view name, e.g. the session of a conversation. */
  readonly arg: string | undefined;
  readonly query: URLSearchParams;
}

export function parseRoute(hash: string): Route {
  const m = /^#\/([a-z]+)(?:\/([^?]*))?(?:\?(.*))?$/.exec(hash);
  const view = VIEWS.find((v) => v.name === m?.[1])?.name ?? 'messages';
  const arg = m?.[2] !== undefined && m[2] !== '' ? decodeURIComponent(m[2]) : undefined;
  return { view, arg, query: new URLSearchParams(m?.[3] ?? '') };
}

export function navigate(hash: string): void {
  if (location.hash === hash) return;
  location.hash = hash;
}
