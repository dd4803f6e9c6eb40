/**
 * The app's main script (package.json "main", compiled to build/main/electron/main.js): real
 * services on the electron-store settings backend, the shell, and an orderly stop of the
 * acquisition (journal flushed, queue lock released) when the app quits.
 */
import * as electron from 'electron';
import { launchElectronApp } from './app.ts';
import { createServiceContainer } from '../services.ts';
import { createAppServices, type AppHost } from '../app/app-services.ts';

let host: AppHost | null = null;
let disposed = false;

const shell = await launchElectronApp(
  async (backend) => {
    host = await createAppServices(await createServiceContainer({ backend }));
    return host;
  },
  async () => host!.trayModel(),
);

if (shell) {
  electron.app.on('will-quit', (e) => {
    if (disposed || !host) return;
    e.preventDefault();
    disposed = true;
    shell.dispose();
    host.dispose().catch((err: unknown) => console.error('scopecloud: stopping services:', err)).finally(() => electron.app.quit());
  });
}
