/** Small hooks shared by the views. */
import { useEffect, useRef, useState } from 'preact/hooks';
import { store } from './store.js';

/** Re-renders the caller after each store batch (at most once per animation frame). */
export function useStore(): number {
  const [version, setVersion] = useState(store.version);
  useEffect(
    () =>
      store.subscribe(() => {
        setVersion(store.version);
      }),
    [],
  );
  return version;
}

/** Runs `load` now and whenever `key` changes, at most every `minMs`; returns its last result. */
export function useThrottledLoad<T>(
  load: (signal: AbortSignal) => Promise<T>,
  key: unknown,
  minMs = 250,
): { value: T | undefined; error: string | undefined; reload: () => void } {
  const [value, setValue] = useState<T | undefined>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);
  const [tick, setTick] = useState(0);
  const last = useRef(0);
  useEffect(() => {
    const controller = new AbortController();
    const wait = Math.max(0, last.current + minMs - Date.now());
    const timer = setTimeout(() => {
      last.current = Date.now();
      load(controller.signal)
        .then((v) => {
          setValue(v);
          setError(undefined);
        })
        .catch((e: unknown) => {
          if (!controller.signal.aborted) setError(e instanceof Error ? e.message : String(e));
        });
    }, wait);
    return () => {
      clearTimeout(timer);
      controller.abort();
    };
  }, [key, tick]);
  return {
    value,
    error,
    reload: () => {
      setTick((t) => t + 1);
    },
  };
}

/** `HH:MM:SS.mmm` of an ISO time (UTC, as the ladder of `cimd2-mock show`). */
export function clock(ts: string): string {
  return /T(\d\d:\d\d:\d\d\.\d{3})/.exec(ts)?.[1] ?? ts;
}

/** "3 s", "4 min", "2 h" since `ts`. */
export function ago(ts: string, now: number): string {
  const s = Math.max(0, Math.round((now - Date.parse(ts)) / 1000));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min`;
  return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
}
