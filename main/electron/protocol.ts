/**
 * Serves the bundled renderer under `app://scopecloud/` with the CSP header. Must be registered
 * as privileged (standard, secure) before the app is ready so 'self' and fetch behave like https.
 */
import { rendererCsp, securityHeaders } from '../ui/csp.ts';
import { readRendererFile, resolveRendererPath } from '../ui/renderer-files.ts';
import type { ProtocolLike } from './facade.ts';

export const APP_SCHEME = 'app';
export const APP_HOST = 'scopecloud';
export const RENDERER_ORIGIN = `${APP_SCHEME}://${APP_HOST}`;
export const RENDERER_URL = `${RENDERER_ORIGIN}/index.html`;

export function registerSchemePrivileges(protocol: Pick<ProtocolLike, 'registerSchemesAsPrivileged'>): void {
  protocol.registerSchemesAsPrivileged([{ scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true } }]);
}

export function rendererResponder(rendererDir: string): (request: { url: string; method: string }) => Promise<Response> {
  return async (request) => {
    let url: URL;
    try {
      url = new URL(request.url);
    } catch {
      return new Response('Bad request', { status: 400 });
    }
    if (url.host !== APP_HOST || request.method !== 'GET') return new Response('Not found', { status: 404 });
    const target = resolveRendererPath(rendererDir, url.pathname);
    const body = target ? await readRendererFile(target.file) : null;
    if (!target || !body) return new Response('Not found', { status: 404 });
    return new Response(new Uint8Array(body), {
      status: 200,
      headers: { 'Content-Type': target.type, 'Content-Security-Policy': rendererCsp(), ...securityHeaders },
    });
  };
}

export function serveRenderer(protocol: Pick<ProtocolLike, 'handle'>, rendererDir: string): void {
  protocol.handle(APP_SCHEME, rendererResponder(rendererDir));
}
