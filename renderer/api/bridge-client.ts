/**
 * ScopeCloudApi over the Electron preload bridge. The bridge exposes `invoke(method, req)` and
 * `onEvent(listener)`; errors arrive as `{error: WireError}` values (Electron flattens thrown
 * errors to strings), and are rethrown here as ApiError.
 */
import { AppEvent, methodNames, type MethodName, type ScopeCloudApi } from '../../preload/api.ts';
import { fromWireError } from '../../preload/errors.ts';
import type { Bridge } from '../../preload/bridge.ts';

export function createBridgeApi(bridge: Bridge): ScopeCloudApi {
  const api: Record<string, unknown> = {
    subscribe(listener: (e: AppEvent) => void) {
      return bridge.onEvent((raw) => {
        try {
          listener(AppEvent.check(raw));
        } catch {
          /* ignore malformed events */
        }
      });
    },
  };
  for (const name of methodNames) {
    api[name] = async (req: unknown) => {
      const out = await bridge.invoke(name as MethodName, req);
      if ('error' in out) throw fromWireError(out.error);
      return out.value;
    };
  }
  return api as ScopeCloudApi;
}
