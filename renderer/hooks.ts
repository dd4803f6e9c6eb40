/** React glue: the API context, topic-driven loading, a ticking clock. */
import { createContext, useCallback, useContext, useEffect, useRef, useState } from 'react';
import type { ScopeCloudApi, Topic } from '../preload/api.ts';
import { ApiError } from '../preload/errors.ts';

export const ApiContext = createContext<ScopeCloudApi | null>(null);

export function useApi(): ScopeCloudApi {
  const api = useContext(ApiContext);
  if (!api) throw new Error('ApiContext missing');
  return api;
}

export interface Loaded<T> {
  data: T | null;
  error: ApiError | null;
  reload: () => void;
}

/**
 * Loads with `load` now and again whenever one of `topics` changes; reloads are coalesced
 * (one in flight, at most one queued, at least `minGapMs` apart).
 */
export function useTopic<T>(topics: readonly Topic[], load: (api: ScopeCloudApi) => Promise<T>, minGapMs = 250): Loaded<T> {
  const api = useApi();
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const loadRef = useRef(load);
  loadRef.current = load;
  const state = useRef({ inFlight: false, dirty: false, last: 0, timer: 0 as unknown as ReturnType<typeof setTimeout>, alive: true });

  const run = useCallback(() => {
    const s = state.current;
    if (!s.alive) return;
    if (s.inFlight) {
      s.dirty = true;
      return;
    }
    const wait = s.last + minGapMs - Date.now();
    if (wait > 0) {
      clearTimeout(s.timer);
      s.timer = setTimeout(run, wait);
      return;
    }
    s.inFlight = true;
    s.last = Date.now();
    loadRef
      .current(api)
      .then(
        (v) => {
          if (s.alive) {
            setData(v);
            setError(null);
          }
        },
        (e: unknown) => {
          if (s.alive) setError(e instanceof ApiError ? e : new ApiError('internal', String((e as Error)?.message ?? e)));
        },
      )
      .finally(() => {
        s.inFlight = false;
        if (s.dirty) {
          s.dirty = false;
          run();
        }
      });
  }, [api, minGapMs]);

  const key = topics.join(',');
  useEffect(() => {
    const s = state.current;
    s.alive = true;
    run();
    const off = api.subscribe((e) => {
      if (e.type === 'changed' && topics.includes(e.topic)) run();
    });
    return () => {
      s.alive = false;
      clearTimeout(s.timer);
      off();
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [api, key, run]);

  return { data, error, reload: run };
}

/** Re-renders every `ms` and returns the current time. */
export function useNow(ms = 1000): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), ms);
    return () => clearInterval(t);
  }, [ms]);
  return now;
}

/** Runs an action, keeping its error for display and a busy flag for the button. */
export function useAction(): { busy: boolean; error: ApiError | null; run: <T>(f: () => Promise<T>) => Promise<T | undefined>; clear: () => void } {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const run = useCallback(async <T>(f: () => Promise<T>) => {
    setBusy(true);
    setError(null);
    try {
      return await f();
    } catch (e) {
      setError(e instanceof ApiError ? e : new ApiError('internal', String((e as Error)?.message ?? e)));
      return undefined;
    } finally {
      setBusy(false);
    }
  }, []);
  return { busy, error, run, clear: () => setError(null) };
}
