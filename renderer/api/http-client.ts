/**
 * ScopeCloudApi over HTTP + WebSocket (`scopecloud serve`). The token travels in the HttpOnly
 * cookie set when the page was opened; same-origin requests carry it automatically.
 */
import { AppEvent, isBinaryMethod, methodNames, methods, type MethodName, type ScopeCloudApi, type Topic } from '../../preload/api.ts';
import { ApiError, fromWireError } from '../../preload/errors.ts';

export interface HttpApiOptions {
  /** Origin of the host, e.g. `http://127.0.0.1:8123`; default: the page's. */
  base?: string;
  fetch?: typeof fetch;
  WebSocket?: typeof WebSocket;
}

const ALL_TOPICS: Topic[] = ['status', 'settings', 'acquisition', 'instances', 'budget', 'analyses', 'results'];

export function createHttpApi(opts: HttpApiOptions = {}): ScopeCloudApi {
  const base = opts.base ?? location.origin;
  const doFetch = opts.fetch ?? fetch.bind(globalThis);
  const WS = opts.WebSocket ?? WebSocket;

  async function call(method: MethodName, req: unknown): Promise<unknown> {
    let res: Response;
    try {
      res = await doFetch(`${base}/api/${method}`, {
        method: 'POST',
        credentials: 'same-origin',
        headers: { 'Content-Type': 'application/json' },
        body: req === undefined ? '' : JSON.stringify(req),
      });
    } catch {
      throw new ApiError('offline', 'Cannot reach ScopeCloud; is `scopecloud serve` still running?');
    }
    if (res.status === 401) throw new ApiError('unauthorized', 'This page lost its access token; open the URL printed by `scopecloud serve` again.');
    if (!res.ok) {
      let body: unknown = null;
      try {
        body = await res.json();
      } catch {
        /* not JSON */
      }
      throw fromWireError(
        (body as { error?: unknown } | null)?.error ?? { code: `http-${res.status}`, message: `The app answered ${res.status}.`, field: null },
      );
    }
    if (isBinaryMethod(method)) return new Uint8Array(await res.arrayBuffer());
    const body = (await res.json()) as { value?: unknown };
    return methods[method].res.check(body.value, 'response');
  }

  const listeners = new Set<(e: AppEvent) => void>();
  let socket: WebSocket | null = null;
  let retryMs = 500;
  let reconnectTimer: ReturnType<typeof setTimeout> | null = null;

  function connect(): void {
    const url = base.replace(/^http/, 'ws') + '/api/events';
    const ws = new WS(url);
    socket = ws;
    ws.onopen = () => {
      if (retryMs > 500) for (const topic of ALL_TOPICS) dispatch({ type: 'changed', topic });
      retryMs = 500;
    };
    ws.onmessage = (m) => {
      try {
        dispatch(AppEvent.check(JSON.parse(String(m.data))));
      } catch {
        /* ignore malformed events */
      }
    };
    ws.onclose = () => {
      socket = null;
      if (listeners.size === 0) return;
      reconnectTimer = setTimeout(connect, retryMs);
      retryMs = Math.min(10_000, retryMs * 2);
    };
  }
  function dispatch(e: AppEvent): void {
    for (const l of listeners) l(e);
  }

  const api: Record<string, unknown> = {
    subscribe(listener: (e: AppEvent) => void) {
      listeners.add(listener);
      if (!socket && !reconnectTimer) connect();
      return () => {
        listeners.delete(listener);
        if (listeners.size === 0) {
          if (reconnectTimer) clearTimeout(reconnectTimer);
          reconnectTimer = null;
          socket?.close();
        }
      };
    },
  };
  for (const name of methodNames) api[name] = (req: unknown) => call(name, req);
  return api as ScopeCloudApi;
}
