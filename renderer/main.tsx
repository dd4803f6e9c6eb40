/** Renderer entry: picks the transport (Electron bridge or HTTP host) and mounts the app. */
import { createRoot } from 'react-dom/client';
import { bridgeGlobal } from '../preload/api.ts';
import type { Bridge } from '../preload/bridge.ts';
import { createBridgeApi } from './api/bridge-client.ts';
import { createHttpApi } from './api/http-client.ts';
import { App } from './app.tsx';

const bridge = (window as unknown as Record<string, Bridge | undefined>)[bridgeGlobal];
const api = bridge ? createBridgeApi(bridge) : createHttpApi();
createRoot(document.getElementById('root')!).render(<App api={api} />);
