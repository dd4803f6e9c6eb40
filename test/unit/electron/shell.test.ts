import { test, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ipcChannel, ipcEventChannel, methodNames } from '../../../preload/api.ts';
import { startShell, type Shell, type ShellOptions } from '../../../main/electron/shell.ts';
import { RENDERER_ORIGIN, RENDERER_URL } from '../../../main/electron/protocol.ts';
import { createBridge } from '../../../preload/bridge-impl.ts';
import type { TrayModel } from '../../../main/tray/tray-model.ts';
import { createInMemoryServices, type InMemoryServices } from '../../support/in-memory-services.ts';
import { createFakeElectron, FakeWindow } from './fake-electron.ts';

let fake: ReturnType<typeof createFakeElectron>;
let services: InMemoryServices;
let shell: Shell;
let dir: string;
const errors: unknown[] = [];
let disposals = 0;
let disposeGate: Promise<void> = Promise.resolve();

function shellOptions(): ShellOptions {
  return {
    services,
    rendererDir: dir,
    preloadPath: '/app/preload.cjs',
    trayIcons: { path: (i) => `/icons/${i}.png` },
    trayModel: async () => model,
    setInterval: () => 0,
    clearInterval: () => {},
    onError: (e) => errors.push(e),
    disposeServices: () => {
      disposals++;
      return disposeGate;
    },
  };
}

/** Resolves once `cond` holds, checking after each turn of the event loop (fails after 2 s). */
async function until(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 2000 && !cond(); i++) await new Promise((r) => setTimeout(r, 1));
  assert.ok(cond(), 'condition not reached');
}

const model: TrayModel = {
  icon: 'running',
  runningCount: 1,
  tooltip: 'ScopeCloud: 1 running',
  menu: [
    {
      type: 'item',
      id: 'stop:i-0a1b2c3d4e5f60718',
      label: 'Stop suite-analysis-gpu',
      enabled: true,
      action: { kind: 'stop-instance', instanceId: 'i-0a1b2c3d4e5f60718' },
    },
    { type: 'separator' },
    { type: 'item', id: 'open-cost', label: 'Cost and budget...', enabled: true, action: { kind: 'open-window', view: 'cost' } },
  ],
};

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'scopecloud-electron-'));
  mkdirSync(join(dir, 'assets'));
  writeFileSync(join(dir, 'index.html'), '<!doctype html>');
  fake = createFakeElectron();
  services = createInMemoryServices({ roiCount: 100 });
  errors.length = 0;
  disposals = 0;
  disposeGate = Promise.resolve();
  shell = await startShell(fake.facade, shellOptions());
});
afterEach(() => {
  shell.dispose();
  services.dispose();
  rmSync(dir, { recursive: true, force: true });
});

const win = () => FakeWindow.all[0];
const trusted = () => ({ id: win().webContents.id, url: RENDERER_URL });

test('one window, sandboxed, isolated, without Node, loading the bundled renderer', () => {
  assert.equal(FakeWindow.all.length, 1);
  const p = win().opts.webPreferences;
  assert.equal(p.sandbox, true);
  assert.equal(p.contextIsolation, true);
  assert.equal(p.nodeIntegration, false);
  assert.equal(p.nodeIntegrationInSubFrames, false);
  assert.equal(p.webviewTag, false);
  assert.equal(p.preload, '/app/preload.cjs');
  assert.deepEqual(win().loaded, [RENDERER_URL]);
});

test('navigation away and new windows are blocked; permissions are denied', async () => {
  assert.equal(win().webContents.navigate('https://evil.example/'), true);
  assert.equal(win().webContents.navigate(`${RENDERER_ORIGIN}/index.html#/budget`), false);
  assert.deepEqual(win().webContents.openHandler!({ url: 'https://x.example' }), { action: 'deny' });
  assert.equal(await fake.permission('media'), false);
  assert.equal(await fake.permission('notifications'), false);
});

test('closing the window hides it (the app stays in the tray)', () => {
  win().show();
  assert.equal(win().close(), true);
  assert.equal(win().visible, false);
});

test('an IPC handler exists for every contract method and answers the trusted window', async () => {
  for (const m of methodNames) assert.ok(fake.handlers.has(ipcChannel(m)), m);
  const r = (await fake.invoke(ipcChannel('getStatus'), trusted(), undefined)) as { value: { mode: string } };
  assert.equal(r.value.mode, 'local');
});

test('IPC refuses other senders: another webContents, or a frame from another origin', async () => {
  const fromOther = (await fake.invoke(ipcChannel('getStatus'), { id: 9999, url: RENDERER_URL })) as { error: { code: string } };
  assert.equal(fromOther.error.code, 'untrusted-sender');
  const fromWeb = (await fake.invoke(ipcChannel('pauseUploads'), { id: win().webContents.id, url: 'https://evil.example/' })) as { error: { code: string } };
  assert.equal(fromWeb.error.code, 'untrusted-sender');
  assert.equal(
    services.calls.some((c) => c.method === 'pauseUploads'),
    false,
    'the service was never reached',
  );
});

test('IPC validates every argument before the service sees it', async () => {
  const r = (await fake.invoke(ipcChannel('instanceAction'), trusted(), { id: 'i-0a1b2c3d4e5f60718', action: 'stop', extra: 'x' })) as {
    error: { code: string; message: string };
  };
  assert.equal(r.error.code, 'invalid-message');
  assert.match(r.error.message, /request\.extra/);
  assert.equal(
    services.calls.some((c) => c.method === 'instanceAction'),
    false,
  );
  const ok = (await fake.invoke(ipcChannel('instanceAction'), trusted(), { id: 'i-0a1b2c3d4e5f60718', action: 'stop' })) as { value: { state: string } };
  assert.equal(ok.value.state, 'stopping');
});

test('service events reach the window on the event channel; notifications become system notifications', async () => {
  services.tick(500);
  const events = win().webContents.sent.filter((s) => s.channel === ipcEventChannel);
  assert.ok(events.some((e) => (e.payload as { topic?: string }).topic === 'acquisition'));
  for (let i = 0; i < 400 && fake.notifications.length === 0; i++) services.tick(1000);
  assert.ok(
    fake.notifications.some((n) => n.title === 'Analysis finished'),
    'finishing an analysis notifies',
  );
});

test('the tray draws the model and its stop action stops the instance', async () => {
  const tray = fake.trays[0];
  assert.equal(tray.tooltip, 'ScopeCloud: 1 running');
  assert.equal(tray.title, '1');
  assert.ok(tray.images.includes('/icons/running.png'));
  assert.equal(tray.menu[1].type, 'separator');
  tray.menu[0].click!();
  await until(() => services.calls.some((c) => c.method === 'instanceAction' && (c.req as { action: string }).action === 'stop'));
  tray.menu[2].click!();
  assert.equal(win().loaded.at(-1), `${RENDERER_URL}#/budget`);
});

const AWS = { profile: 'default', region: 'eu-west-1', bucket: 'lab-scopecloud', prefix: '', endpoint: '' };
const stopCalls = () => services.calls.filter((c) => c.method === 'instanceAction' && (c.req as { action: string }).action === 'stop');

test('quitting is held by before-quit until the user has chosen', async () => {
  await services.saveSettings({ mode: 'aws', aws: AWS });
  fake.setDialogResponse(2);
  assert.equal(fake.beforeQuit(), true, 'the first quit is held');
  await until(() => fake.dialogs.length === 1);
  assert.equal(fake.quitCalls, 0);
});

test('"Stop them and quit" stops every running instance, then quits', async () => {
  await services.saveSettings({ mode: 'aws', aws: AWS });
  fake.setDialogResponse(0);
  await shell.requestQuit();
  assert.equal(fake.dialogs.length, 1);
  assert.equal(fake.dialogs[0].message, '2 instances are still running, costing $1.72 per hour.');
  assert.match(fake.dialogs[0].detail, /keep running and billing/);
  assert.deepEqual(fake.dialogs[0].buttons, ['Stop them and quit', 'Leave running and quit', 'Cancel']);
  assert.deepEqual(
    stopCalls()
      .map((c) => (c.req as { id: string }).id)
      .sort(),
    ['i-0a1b2c3d4e5f60718', 'i-0f9e8d7c6b5a40312'],
  );
  assert.equal(fake.quitCalls, 1);
  assert.equal(fake.beforeQuit(), false, 'the confirmed quit goes through');
});

test('"Leave running and quit" quits without touching the instances', async () => {
  await services.saveSettings({ mode: 'aws', aws: AWS });
  fake.setDialogResponse(1);
  await shell.requestQuit();
  assert.equal(fake.dialogs.length, 1);
  assert.equal(stopCalls().length, 0);
  assert.equal(fake.quitCalls, 1);
  assert.equal(fake.beforeQuit(), false);
});

test('"Cancel" keeps the app and the instances, and the next quit asks again', async () => {
  await services.saveSettings({ mode: 'aws', aws: AWS });
  fake.setDialogResponse(2);
  await shell.requestQuit();
  assert.equal(fake.quitCalls, 0);
  assert.equal(services.calls.filter((c) => c.method === 'instanceAction').length, 0);
  assert.equal(fake.beforeQuit(), true, 'still held');
  await until(() => fake.dialogs.length === 2);
});

test('the prompt counts what EC2 says now, not the status line (0 before the first list arrives)', async () => {
  await services.saveSettings({ mode: 'aws', aws: AWS });
  const coldStatus = { ...services, getStatus: async () => ({ ...(await services.getStatus()), instances: { running: 0, hourlyBurn: 0 } }) };
  shell.dispose();
  shell = await startShell(fake.facade, { ...shellOptions(), services: coldStatus });
  fake.setDialogResponse(2);
  await shell.requestQuit();
  assert.equal(fake.dialogs.length, 1);
  assert.match(fake.dialogs[0].message, /^2 instances are still running/);
  assert.equal(fake.quitCalls, 0);
});

test('when EC2 cannot be asked, the prompt says so with the reason, and quitting anyway is a choice', async () => {
  await services.saveSettings({ mode: 'aws', aws: AWS });
  const offline = {
    ...services,
    listInstances: async () => {
      throw new Error('connect ETIMEDOUT ec2.eu-west-1.amazonaws.com');
    },
  };
  shell.dispose();
  shell = await startShell(fake.facade, { ...shellOptions(), services: offline });
  fake.setDialogResponse(1);
  await shell.requestQuit();
  assert.equal(fake.dialogs[0].title, 'Could not check for running instances');
  assert.match(fake.dialogs[0].detail, /connect ETIMEDOUT ec2\.eu-west-1\.amazonaws\.com/);
  assert.deepEqual(fake.dialogs[0].buttons, ['Quit anyway', 'Cancel']);
  assert.equal(fake.quitCalls, 0, 'Cancel is the default and keeps the app');
  fake.setDialogResponse(0);
  await shell.requestQuit();
  assert.equal(fake.quitCalls, 1);
});

test('in local mode (no AWS) quitting asks nothing', async () => {
  await shell.requestQuit();
  assert.equal(fake.dialogs.length, 0);
  assert.equal(fake.quitCalls, 1);
});

test('will-quit holds the quit until the services have stopped, once, then quits', async () => {
  let release!: () => void;
  disposeGate = new Promise<void>((r) => {
    release = r;
  });
  assert.equal(fake.willQuit(), true, 'held while the services stop');
  assert.equal(disposals, 1);
  assert.equal(fake.handlers.size, 0, 'IPC handlers removed');
  assert.equal(fake.quitCalls, 0, 'not before the journal is flushed');
  release();
  await until(() => fake.quitCalls === 1);
  assert.equal(fake.willQuit(), false, 'the second will-quit goes through');
  assert.equal(disposals, 1, 'the services are stopped once');
});

test('will-quit still quits when stopping the services fails, and reports it', async () => {
  disposeGate = Promise.reject(new Error('journal: ENOSPC'));
  fake.willQuit();
  await until(() => fake.quitCalls === 1);
  assert.match(String(errors.at(-1)), /ENOSPC/);
});

test('the app:// protocol serves the renderer with the CSP and nothing else', async () => {
  const h = fake.protocolHandlers.get('app')!;
  const ok = await h({ url: RENDERER_URL, method: 'GET' });
  assert.equal(ok.status, 200);
  assert.match(ok.headers.get('content-security-policy') ?? '', /script-src 'self'/);
  assert.equal((await h({ url: 'app://other/index.html', method: 'GET' })).status, 404);
  assert.equal((await h({ url: `${RENDERER_ORIGIN}/../../etc/passwd`, method: 'GET' })).status, 404);
});

test('the preload bridge forwards known methods only', async () => {
  const invoked: string[] = [];
  const bridge = createBridge({
    invoke: async (ch) => {
      invoked.push(ch);
      return { value: 1 };
    },
    on: () => {},
    removeListener: () => {},
  });
  assert.deepEqual(await bridge.invoke('getStatus', undefined), { value: 1 });
  const bad = (await bridge.invoke('rm -rf' as never, undefined)) as { error: { code: string } };
  assert.equal(bad.error.code, 'unknown-method');
  assert.deepEqual(invoked, ['scopecloud:getStatus']);
});
