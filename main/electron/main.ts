/**
 * The app's main script (package.json "main", compiled to build/main/electron/main.js): real
 * services on the electron-store settings backend, the shell, and an orderly stop of the
 * acquisition (journal flushed, queue lock released) when the app quits.
 */
import { launchElectronApp } from './app.ts';
import { createServiceContainer } from '../services.ts';
import { createAppServices, type AppHost } from '../app/app-services.ts';

let host: AppHost | null = null;

await launchElectronApp(
  async (backend) => {
    host = await createAppServices(await createServiceContainer({ backend }));
    return host;
  },
  async () => host!.trayModel(),
  async () => {
    await host?.dispose();
  },
);
