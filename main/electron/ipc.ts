/**
 * IPC handlers: one `invoke` channel per contract method. Each call checks the sender is our
 * window showing our renderer, validates the request with the contract schema (inside the
 * handlers), and answers `{value}` or `{error}` — never a thrown error, which Electron would
 * flatten to a string.
 */
import { AppEvent, ipcChannel, ipcEventChannel, methodNames } from '../../preload/api.ts';
import { toWireError } from '../../preload/errors.ts';
import type { BridgeResult } from '../../preload/bridge.ts';
import type { ApiHandlers } from '../app/api-handlers.ts';
import type { AppServices } from '../app/contract.ts';
import type { IpcMainInvokeEventLike, IpcMainLike, WebContentsLike } from './facade.ts';

export class UntrustedSenderError extends Error {
  readonly code = 'untrusted-sender';
  constructor(url: string) {
    super(`IPC refused from ${url.slice(0, 200) || 'an unknown frame'}`);
    this.name = 'UntrustedSenderError';
  }
}

export interface IpcOptions {
  /** The only webContents allowed to call (our main window). */
  trustedContentsId: () => number | null;
  /** Origin of the bundled renderer, e.g. `app://scopecloud`. */
  rendererOrigin: string;
}

export function isTrustedSender(event: IpcMainInvokeEventLike, opts: IpcOptions): boolean {
  if (event.sender.id !== opts.trustedContentsId()) return false;
  const url = event.senderFrame?.url ?? '';
  try {
    return new URL(url).origin === opts.rendererOrigin || url.startsWith(`${opts.rendererOrigin}/`);
  } catch {
    return false;
  }
}

/** Registers every method; returns a function that removes them. */
export function registerIpc(ipcMain: IpcMainLike, handlers: ApiHandlers, opts: IpcOptions): () => void {
  for (const name of methodNames) {
    ipcMain.handle(ipcChannel(name), async (event, req): Promise<BridgeResult> => {
      try {
        if (!isTrustedSender(event, opts)) throw new UntrustedSenderError(event.senderFrame?.url ?? '');
        return { value: await (handlers[name] as (r: unknown) => Promise<unknown>)(req) };
      } catch (err) {
        return { error: toWireError(err) };
      }
    });
  }
  return () => {
    for (const name of methodNames) ipcMain.removeHandler(ipcChannel(name));
  };
}

/** Forwards service events to the window, validated against the contract. */
export function forwardEvents(services: Pick<AppServices, 'subscribe'>, target: () => WebContentsLike | null): () => void {
  return services.subscribe((event) => {
    const wc = target();
    if (!wc || wc.isDestroyed()) return;
    try {
      wc.send(ipcEventChannel, AppEvent.check(event));
    } catch {
      /* a malformed event is dropped, never sent */
    }
  });
}
