/**
 * The shape the Electron preload script exposes on `window.scopecloud` via contextBridge.
 * Deliberately tiny: one invoke function over a closed set of methods, one event subscription.
 * The main side validates the method name, the sender and the request (main/electron/ipc.ts).
 */
import type { MethodName } from './api.ts';
import type { WireError } from './errors.ts';

export type BridgeResult = { value: unknown } | { error: WireError };

export interface Bridge {
  invoke(method: MethodName, req: unknown): Promise<BridgeResult>;
  /** Returns an unsubscribe function. */
  onEvent(listener: (event: unknown) => void): () => void;
}
