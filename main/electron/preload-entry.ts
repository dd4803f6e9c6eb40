/**
 * The preload script (bundled to build/electron/preload.cjs: sandboxed preloads cannot load
 * relative modules). Exposes exactly one object, the typed bridge, on `window.scopecloud`.
 */
import { contextBridge, ipcRenderer } from 'electron';
import { bridgeGlobal } from '../../preload/api.ts';
import { createBridge } from '../../preload/bridge-impl.ts';

contextBridge.exposeInMainWorld(bridgeGlobal, createBridge(ipcRenderer));
