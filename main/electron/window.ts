/**
 * The one app window: sandboxed renderer, context isolation, no Node, no navigation away from
 * the bundled renderer, no new windows, no permissions. Closing hides it (the app lives on in
 * the tray) unless the app is quitting.
 */
import type { BrowserWindowLike, ElectronFacade } from './facade.ts';

export const secureWebPreferences = (preload: string) => ({
  sandbox: true,
  contextIsolation: true,
  nodeIntegration: false,
  nodeIntegrationInSubFrames: false,
  webSecurity: true,
  allowRunningInsecureContent: false,
  webviewTag: false,
  spellcheck: false,
  preload,
});

export interface WindowOptions {
  preloadPath: string;
  /** The renderer entry, e.g. app://scopecloud/index.html */
  url: string;
  isQuitting: () => boolean;
}

export function createMainWindow(e: Pick<ElectronFacade, 'BrowserWindow'>, opts: WindowOptions): BrowserWindowLike {
  const win = new e.BrowserWindow({
    width: 1280,
    height: 800,
    minWidth: 960,
    minHeight: 640,
    show: false,
    title: 'ScopeCloud',
    backgroundColor: '#f5f6f8',
    webPreferences: secureWebPreferences(opts.preloadPath),
  });
  const origin = new URL(opts.url).origin;
  const guard = (ev: { preventDefault(): void }, url: string) => {
    let target = '';
    try {
      target = new URL(url).origin;
    } catch {
      /* invalid URL: block */
    }
    if (target !== origin) ev.preventDefault();
  };
  win.webContents.on('will-navigate', guard);
  win.webContents.on('will-redirect', guard);
  win.webContents.setWindowOpenHandler(() => ({ action: 'deny' }));
  win.on('ready-to-show', () => win.show());
  win.on('close', (ev) => {
    if (!opts.isQuitting()) {
      ev.preventDefault();
      win.hide();
    }
  });
  void win.loadURL(opts.url);
  return win;
}

/** Deny every permission (camera, notifications from the page, geolocation, ...). */
export function denyAllPermissions(e: Pick<ElectronFacade, 'session'>): void {
  e.session.defaultSession.setPermissionRequestHandler((_wc, _permission, callback) => callback(false));
  e.session.defaultSession.setPermissionCheckHandler?.(() => false);
}
