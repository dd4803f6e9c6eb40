/**
 * Composes the Electron app from the facade and the services: protocol, window, IPC, events,
 * notifications, tray, and the quit prompt. Everything Electron-specific is reached through the
 * injected facade, so this runs under unit tests with a fake.
 */
import type { AppServices } from '../app/contract.ts';
import { createApiHandlers } from '../app/api-handlers.ts';
import type { TrayAction, TrayModel } from '../tray/tray-model.ts';
import type { BrowserWindowLike, ElectronFacade } from './facade.ts';
import { forwardEvents, registerIpc } from './ipc.ts';
import { RENDERER_ORIGIN, RENDERER_URL, serveRenderer } from './protocol.ts';
import { checkRunning } from '../app/running-check.ts';
import { askBeforeQuit } from './quit.ts';
import { notify, TrayView, type TrayIcons } from './tray.ts';
import { createMainWindow, denyAllPermissions } from './window.ts';

export interface ShellOptions {
  services: AppServices;
  rendererDir: string;
  preloadPath: string;
  trayIcons: TrayIcons;
  /** The current tray model (main/tray/tray-model.ts from the instance and budget services). */
  trayModel: () => Promise<TrayModel>;
  trayRefreshMs?: number;
  setInterval?: (f: () => void, ms: number) => unknown;
  clearInterval?: (h: unknown) => void;
  /** Reports failures of background work (tray refresh, quit-time stops). */
  onError?: (err: unknown) => void;
  /**
   * Stops the services (acquisition journal flushed, queue lock released). Run once at
   * `will-quit`, which is held until it settles; the app then quits.
   */
  disposeServices?: () => Promise<void>;
}

export interface Shell {
  window(): BrowserWindowLike | null;
  refreshTray(): Promise<void>;
  /** Runs the quit flow as the before-quit handler would. */
  requestQuit(): Promise<void>;
  /** Stops the shell's own listeners, timer and tray; safe to call twice. */
  dispose(): void;
}

const VIEW_HASH = { instances: '#/instances', cost: '#/budget', uploads: '#/acquisition' } as const;

export async function startShell(e: ElectronFacade, opts: ShellOptions): Promise<Shell> {
  await e.app.whenReady();
  const onError = opts.onError ?? ((err: unknown) => console.error('scopecloud:', err));
  denyAllPermissions(e);
  serveRenderer(e.protocol, opts.rendererDir);

  e.app.on('web-contents-created', (_ev, contents) => {
    contents.on('will-attach-webview', (ev) => ev.preventDefault());
    contents.setWindowOpenHandler(() => ({ action: 'deny' }));
  });

  let quitting = false;
  let win: BrowserWindowLike | null = null;
  const openWindow = (hash = '') => {
    if (!win || win.isDestroyed()) {
      win = createMainWindow(e, { preloadPath: opts.preloadPath, url: RENDERER_URL + hash, isQuitting: () => quitting });
      win.on('closed', () => {
        win = null;
      });
    } else {
      if (hash) void win.loadURL(RENDERER_URL + hash);
      win.show();
      win.focus();
    }
    return win;
  };
  openWindow();

  const handlers = createApiHandlers(opts.services);
  const unregister = registerIpc(e.ipcMain, handlers, {
    trustedContentsId: () => (win && !win.isDestroyed() ? win.webContents.id : null),
    rendererOrigin: RENDERER_ORIGIN,
  });
  const unforward = forwardEvents(opts.services, () => (win && !win.isDestroyed() ? win.webContents : null));
  const unnotify = opts.services.subscribe((ev) => {
    if (ev.type === 'notification') notify(e, ev);
  });

  const tray = new TrayView(e, opts.trayIcons, () => openWindow());
  const onTrayAction = (a: TrayAction) => {
    switch (a.kind) {
      case 'stop-instance':
        opts.services.instanceAction({ id: a.instanceId, action: 'stop' }).then(() => refreshTray(), onError);
        return;
      case 'open-window':
        openWindow(VIEW_HASH[a.view]);
        return;
      case 'quit':
        e.app.quit();
        return;
    }
  };
  async function refreshTray(): Promise<void> {
    try {
      tray.draw(await opts.trayModel(), onTrayAction);
    } catch (err) {
      onError(err);
    }
  }
  await refreshTray();
  const every = opts.setInterval ?? ((f, ms) => setInterval(f, ms));
  const stopEvery = opts.clearInterval ?? ((h) => clearInterval(h as ReturnType<typeof setInterval>));
  const timer = every(() => void refreshTray(), opts.trayRefreshMs ?? 15_000);
  const unTrayOnChange = opts.services.subscribe((ev) => {
    if (ev.type === 'changed' && ev.topic === 'instances') void refreshTray();
  });

  async function requestQuit(): Promise<void> {
    const choice = await askBeforeQuit(e, await checkRunning(opts.services));
    if (choice === 'cancel') return;
    if (choice === 'stop-and-quit') {
      const { instances } = await opts.services.listInstances({ all: false });
      const results = await Promise.allSettled(
        instances.filter((i) => i.state === 'running' || i.state === 'pending').map((i) => opts.services.instanceAction({ id: i.id, action: 'stop' })),
      );
      const failed = results.filter((r) => r.status === 'rejected');
      if (failed.length) {
        for (const f of failed) onError((f as PromiseRejectedResult).reason);
        notify(e, { title: 'Some instances did not stop', body: `${failed.length} could not be stopped; they are still billing. Check the Instances view.` });
        openWindow(VIEW_HASH.instances);
        return;
      }
    }
    quitting = true;
    e.app.quit();
  }

  e.app.on('before-quit', (ev) => {
    if (quitting) return;
    ev.preventDefault();
    requestQuit().catch(onError);
  });
  let disposed = false;
  e.app.on('will-quit', (ev) => {
    if (disposed) return;
    disposed = true;
    ev.preventDefault();
    shell.dispose();
    const stop = opts.disposeServices ?? (async () => {});
    stop()
      .catch(onError)
      .finally(() => e.app.quit());
  });
  e.app.on('window-all-closed', () => {
    /* stay in the tray */
  });
  e.app.on('second-instance', () => {
    openWindow();
  });
  e.app.on('activate', () => {
    openWindow();
  });

  let shellDisposed = false;
  const shell: Shell = {
    window: () => win,
    refreshTray,
    requestQuit,
    dispose() {
      if (shellDisposed) return;
      shellDisposed = true;
      stopEvery(timer);
      unTrayOnChange();
      unnotify();
      unforward();
      unregister();
      tray.destroy();
    },
  };
  return shell;
}
