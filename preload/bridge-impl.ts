/**
 * The bridge object the preload script exposes, built over an ipcRenderer-like object so it is
 * testable without Electron. Unknown method names never reach IPC.
 */
import { ipcChannel, ipcEventChannel, isMethodName } from './api.ts';
import type { Bridge, BridgeResult } from './bridge.ts';

export interface IpcRendererLike {
  invoke(channel: string, ...args: unknown[]): Promise<unknown>;
  on(channel: string, listener: (event: unknown, payload: unknown) => void): void;
  removeListener(channel: string, listener: (event: unknown, payload: unknown) => void): void;
}

export function createBridge(ipc: IpcRendererLike): Bridge {
  return Object.freeze({
    invoke(method: string, req: unknown): Promise<BridgeResult> {
      if (typeof method !== 'string' || !isMethodName(method)) {
        return Promise.resolve({ error: { code: 'unknown-method', message: `No such API method: ${String(method).slice(0, 64)}`, field: null } });
      }
      return ipcRenderer(ipc, method, req);
    },
    onEvent(listener: (event: unknown) => void): () => void {
      const handler = (_e: unknown, payload: unknown) => listener(payload);
      ipc.on(ipcEventChannel, handler);
      return () => ipc.removeListener(ipcEventChannel, handler);
    },
  }) as Bridge;
}

function ipcRenderer(ipc: IpcRendererLike, method: Parameters<typeof ipcChannel>[0], req: unknown): Promise<BridgeResult> {
  return ipc.invoke(ipcChannel(method), req) as Promise<BridgeResult>;
}
