/**
 * The Electron entry's one function: the only place the real 'electron' module is handed to the
 * adapter. The caller (the app's main script) supplies the services, built on an electron-store
 * settings backend passed to the service container:
 *
 *   import { launchElectronApp } from './main/electron/app.ts';
 *   await launchElectronApp(async (backend) => appServicesFor(await createServiceContainer({ backend })), trayModelFor);
 */
import * as electron from 'electron';
import { join } from 'node:path';
import type { AppServices } from '../host/app-services.ts';
import { defaultRendererDir } from '../host/renderer-files.ts';
import type { TrayIcon, TrayModel } from '../tray/tray-model.ts';
import type { ElectronFacade } from './facade.ts';
import { registerSchemePrivileges } from './protocol.ts';
import { startShell, type Shell } from './shell.ts';

/** A conf-compatible store; electron-store satisfies it. */
export interface SettingsBackend {
  get(key: string): unknown;
  set(key: string, value: unknown): void;
}

export async function launchElectronApp(
  createServices: (settingsBackend: SettingsBackend) => Promise<AppServices>,
  trayModel: (services: AppServices) => Promise<TrayModel>,
): Promise<Shell | null> {
  const e = electron as unknown as ElectronFacade;
  registerSchemePrivileges(e.protocol);
  if (!e.app.requestSingleInstanceLock()) {
    e.app.quit();
    return null;
  }
  const { default: Store } = await import('electron-store');
  const backend = new Store({ name: 'settings' }) as unknown as SettingsBackend;
  const services = await createServices(backend);
  const root = join(defaultRendererDir(), '..');
  return startShell(e, {
    services,
    rendererDir: defaultRendererDir(),
    preloadPath: join(root, 'electron', 'preload.cjs'),
    trayIcons: { path: (icon: TrayIcon) => join(root, '..', 'assets', 'tray', `${icon}.png`) },
    trayModel: () => trayModel(services),
  });
}
