/**
 * The slice of the Electron API the adapter uses, as structural types. Modules in main/electron
 * receive an object of this shape instead of importing 'electron', so unit tests pass a fake.
 * Only app.ts (the entry) passes the real module, assigned without a cast, so the compiler checks
 * this slice against Electron's own type definitions (they install without its binary).
 */

export interface WebContentsLike {
  readonly id: number;
  send(channel: string, payload: unknown): void;
  on(event: 'will-navigate' | 'will-redirect', listener: (e: { preventDefault(): void }, url: string) => void): void;
  setWindowOpenHandler(handler: (details: { url: string }) => { action: 'deny' | 'allow' }): void;
  isDestroyed(): boolean;
}

export interface BrowserWindowLike {
  readonly webContents: WebContentsLike;
  loadURL(url: string): Promise<void>;
  show(): void;
  hide(): void;
  focus(): void;
  isDestroyed(): boolean;
  on(event: 'close', listener: (e: { preventDefault(): void }) => void): void;
  on(event: 'ready-to-show' | 'closed', listener: () => void): void;
}

export interface WebPreferencesLike {
  sandbox: boolean;
  contextIsolation: boolean;
  nodeIntegration: boolean;
  nodeIntegrationInSubFrames: boolean;
  webSecurity: boolean;
  allowRunningInsecureContent: boolean;
  webviewTag: boolean;
  spellcheck: boolean;
  preload: string;
}

export interface BrowserWindowOptionsLike {
  width: number;
  height: number;
  minWidth: number;
  minHeight: number;
  show: boolean;
  title: string;
  backgroundColor: string;
  webPreferences: WebPreferencesLike;
}

export interface IpcMainInvokeEventLike {
  readonly sender: { readonly id: number };
  readonly senderFrame: { readonly url: string } | null;
}

export interface IpcMainLike {
  handle(channel: string, listener: (event: IpcMainInvokeEventLike, ...args: unknown[]) => Promise<unknown>): void;
  removeHandler(channel: string): void;
}

export interface MenuItemOptionsLike {
  label?: string;
  type?: 'normal' | 'separator';
  enabled?: boolean;
  click?: () => void;
}

export interface TrayLike {
  setToolTip(text: string): void;
  /** An image file's path (Electron's Tray takes paths as well as NativeImages). */
  setImage(image: string): void;
  setContextMenu(menu: unknown): void;
  setTitle?(title: string): void;
  on(event: 'click', listener: () => void): void;
  destroy(): void;
}

export interface ProtocolLike {
  handle(scheme: string, handler: (request: { url: string; method: string }) => Promise<Response> | Response): void;
  registerSchemesAsPrivileged(schemes: Array<{ scheme: string; privileges: Record<string, boolean> }>): void;
}

export interface SessionLike {
  setPermissionRequestHandler(handler: ((wc: unknown, permission: string, callback: (granted: boolean) => void) => void) | null): void;
  setPermissionCheckHandler?(handler: ((wc: unknown, permission: string) => boolean) | null): void;
}

export interface MessageBoxOptionsLike {
  type: 'question' | 'warning' | 'info';
  title: string;
  message: string;
  detail: string;
  buttons: string[];
  defaultId: number;
  cancelId: number;
  noLink?: boolean;
}

export interface ElectronFacade {
  app: {
    whenReady(): Promise<void>;
    on(event: 'before-quit' | 'will-quit' | 'window-all-closed' | 'activate' | 'second-instance', listener: (e: { preventDefault(): void }) => void): void;
    on(
      event: 'web-contents-created',
      listener: (
        e: unknown,
        contents: { on(ev: 'will-attach-webview', l: (e: { preventDefault(): void }) => void): void; setWindowOpenHandler(h: () => { action: 'deny' }): void },
      ) => void,
    ): void;
    quit(): void;
    exit(code?: number): void;
    requestSingleInstanceLock(): boolean;
    getPath(name: 'userData'): string;
  };
  BrowserWindow: new (opts: BrowserWindowOptionsLike) => BrowserWindowLike;
  ipcMain: IpcMainLike;
  Tray: new (imagePath: string) => TrayLike;
  Menu: { buildFromTemplate(items: MenuItemOptionsLike[]): unknown };
  Notification: (new (opts: { title: string; body: string; silent?: boolean }) => { show(): void }) & { isSupported(): boolean };
  /**
   * Not parented to the window: the quit prompt also comes from the tray with the window hidden,
   * where a window-modal dialog (a macOS sheet) would be hidden with it.
   */
  dialog: { showMessageBox(opts: MessageBoxOptionsLike): Promise<{ response: number }> };
  protocol: ProtocolLike;
  session: { defaultSession: SessionLike };
}
