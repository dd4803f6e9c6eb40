/** A recording fake of the ElectronFacade slice (main/electron/facade.ts). */
import type {
  ElectronFacade,
  BrowserWindowOptionsLike,
  IpcMainInvokeEventLike,
  MenuItemOptionsLike,
  MessageBoxOptionsLike,
} from '../../../main/electron/facade.ts';

type Listener = (...args: any[]) => void;

export class FakeWebContents {
  static nextId = 1;
  readonly id = FakeWebContents.nextId++;
  readonly sent: Array<{ channel: string; payload: unknown }> = [];
  readonly listeners = new Map<string, Listener>();
  openHandler: ((d: { url: string }) => { action: string }) | null = null;
  send(channel: string, payload: unknown) {
    this.sent.push({ channel, payload });
  }
  on(event: string, l: Listener) {
    this.listeners.set(event, l);
  }
  setWindowOpenHandler(h: (d: { url: string }) => { action: 'deny' | 'allow' }) {
    this.openHandler = h;
  }
  isDestroyed() {
    return false;
  }
  /** Simulates a navigation; returns whether it was prevented. */
  navigate(url: string): boolean {
    let prevented = false;
    this.listeners.get('will-navigate')?.(
      {
        preventDefault: () => {
          prevented = true;
        },
      },
      url,
    );
    return prevented;
  }
}

export class FakeWindow {
  static all: FakeWindow[] = [];
  readonly webContents = new FakeWebContents();
  readonly loaded: string[] = [];
  readonly listeners = new Map<string, Listener>();
  visible = false;
  readonly opts: BrowserWindowOptionsLike;
  constructor(opts: BrowserWindowOptionsLike) {
    this.opts = opts;
    FakeWindow.all.push(this);
  }
  async loadURL(url: string) {
    this.loaded.push(url);
  }
  show() {
    this.visible = true;
  }
  hide() {
    this.visible = false;
  }
  focus() {}
  isDestroyed() {
    return false;
  }
  on(event: string, l: Listener) {
    this.listeners.set(event, l);
  }
  /** Simulates the user closing the window; returns whether closing was prevented. */
  close(): boolean {
    let prevented = false;
    this.listeners.get('close')?.({
      preventDefault: () => {
        prevented = true;
      },
    });
    return prevented;
  }
}

export function createFakeElectron() {
  FakeWindow.all = [];
  const handlers = new Map<string, (e: IpcMainInvokeEventLike, ...a: unknown[]) => Promise<unknown>>();
  const appListeners = new Map<string, Listener>();
  const notifications: Array<{ title: string; body: string }> = [];
  const dialogs: MessageBoxOptionsLike[] = [];
  const trays: Array<{ tooltip: string; title: string; menu: MenuItemOptionsLike[]; images: unknown[] }> = [];
  const protocolHandlers = new Map<string, (r: { url: string; method: string }) => Promise<Response> | Response>();
  let dialogResponse = 0;
  let quitCalls = 0;
  let permissionHandler: ((wc: unknown, p: string, cb: (g: boolean) => void) => void) | null = null;

  const facade: ElectronFacade = {
    app: {
      whenReady: async () => {},
      on: (event: string, l: Listener) => {
        appListeners.set(event, l);
      },
      quit: () => {
        quitCalls++;
      },
      exit: () => {},
      requestSingleInstanceLock: () => true,
      getPath: () => '/tmp',
    } as ElectronFacade['app'],
    BrowserWindow: FakeWindow as unknown as ElectronFacade['BrowserWindow'],
    ipcMain: {
      handle: (channel, l) => {
        handlers.set(channel, l);
      },
      removeHandler: (channel) => {
        handlers.delete(channel);
      },
    },
    Tray: class {
      readonly rec = { tooltip: '', title: '', menu: [] as MenuItemOptionsLike[], images: [] as unknown[] };
      constructor(image: string) {
        this.rec.images.push(image);
        trays.push(this.rec);
      }
      setToolTip(t: string) {
        this.rec.tooltip = t;
      }
      setImage(i: string) {
        this.rec.images.push(i);
      }
      setContextMenu(m: unknown) {
        this.rec.menu = m as MenuItemOptionsLike[];
      }
      setTitle(t: string) {
        this.rec.title = t;
      }
      on() {}
      destroy() {}
    },
    Menu: { buildFromTemplate: (items) => items },
    Notification: Object.assign(
      class {
        readonly o: { title: string; body: string };
        constructor(o: { title: string; body: string }) {
          this.o = o;
        }
        show() {
          notifications.push(this.o);
        }
      },
      { isSupported: () => true },
    ),
    dialog: {
      showMessageBox: async (o) => {
        dialogs.push(o);
        return { response: dialogResponse };
      },
    },
    protocol: {
      handle: (scheme, h) => {
        protocolHandlers.set(scheme, h);
      },
      registerSchemesAsPrivileged: () => {},
    },
    session: {
      defaultSession: {
        setPermissionRequestHandler: (h) => {
          permissionHandler = h;
        },
      },
    },
  };

  return {
    facade,
    handlers,
    appListeners,
    notifications,
    dialogs,
    trays,
    protocolHandlers,
    get quitCalls() {
      return quitCalls;
    },
    setDialogResponse(n: number) {
      dialogResponse = n;
    },
    permission(p: string): Promise<boolean> {
      return new Promise((resolve) => permissionHandler!(null, p, resolve));
    },
    /** Invokes an IPC channel as a given sender. */
    invoke(channel: string, sender: { id: number; url: string }, ...args: unknown[]) {
      const h = handlers.get(channel);
      if (!h) throw new Error(`no handler for ${channel}`);
      return h({ sender: { id: sender.id }, senderFrame: { url: sender.url } }, ...args);
    },
    /** Fires will-quit; returns whether the default was prevented. */
    willQuit(): boolean {
      let prevented = false;
      appListeners.get('will-quit')?.({
        preventDefault: () => {
          prevented = true;
        },
      });
      return prevented;
    },
    /** Fires before-quit; returns whether the default was prevented. */
    beforeQuit(): boolean {
      let prevented = false;
      appListeners.get('before-quit')?.({
        preventDefault: () => {
          prevented = true;
        },
      });
      return prevented;
    },
  };
}
