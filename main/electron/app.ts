/**
 * The Electron entry's one function: the only place the real 'electron' module is handed to the
 * adapter. The caller (main/electron/main.ts, the app's main script) supplies the services, built
 * on an electron-store settings backend passed to the service container. The store lives in the
 * state folder (SCOPECLOUD_HOME), as `settings.json` beside the queue, so the app and the
 * `scopecloud` CLI read and write the same settings.
 */
import * as electron from 'electron';
import { join } from 'node:path';
import type { AppServices } from '../app/contract.ts';
import type { KeyValueBackend } from '../config/store.ts';
import { statePaths } from '../config/paths.ts';
import { defaultRendererDir } from '../ui/renderer-files.ts';
import type { TrayIcon, TrayModel } from '../tray/tray-model.ts';
import type { ElectronFacade } from './facade.ts';
import { registerSchemePrivileges } from './protocol.ts';
import { startShell, type Shell } from './shell.ts';

/** A conf-compatible store; electron-store satisfies it. */
export type SettingsBackend = KeyValueBackend;

export async function launchElectronApp(
  createServices: (settingsBackend: SettingsBackend) => Promise<AppServices>,
  trayModel: (services: AppServices) => Promise<TrayModel>,
  disposeServices: () => Promise<void>,
): Promise<Shell | null> {
  const e: ElectronFacade = electron;
  registerSchemePrivileges(e.protocol);
  if (!e.app.requestSingleInstanceLock()) {
    e.app.quit();
    return null;
  }
  const { default: Store } = await import('electron-store');
  const backend: SettingsBackend = new Store({ name: 'settings', cwd: statePaths().root });
  const services = await createServices(backend);
  const root = join(defaultRendererDir(), '..');
  return startShell(e, {
    services,
    rendererDir: defaultRendererDir(),
    preloadPath: join(root, 'electron', 'preload.cjs'),
    trayIcons: { path: (icon: TrayIcon) => join(root, '..', 'assets', 'tray', `${icon}.png`) },
    trayModel: () => trayModel(services),
    disposeServices,
  });
}
