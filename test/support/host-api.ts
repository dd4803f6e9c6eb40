/**
 * The served app's contract over HTTP, from Node: what the renderer calls, called by a test to set
 * up or read state through the same real services (POST /api/<method> with the token header).
 *
 * Contract: `call` resolves with the method's `value`; a refusal (any non-2xx) rejects with an
 * Error whose message is the status and the wire error's code and message. Binary methods are
 * not offered (the renderer's own decoding is what the UI tests exercise).
 */
export interface HostApi {
  call(method: string, req: unknown): Promise<unknown>;
}

/** `url` is the URL `scopecloud serve` printed, token included. */
export function hostApi(url: string): HostApi {
  const u = new URL(url);
  const token = u.searchParams.get('token');
  if (!token) throw new Error(`no token in ${url}`);
  return {
    async call(method, req) {
      const res = await fetch(`${u.origin}/api/${method}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-scopecloud-token': token },
        body: req === undefined ? '' : JSON.stringify(req),
      });
      const body = await res.json() as { value?: unknown; error?: { code?: string; message?: string } };
      if (!res.ok) throw new Error(`${method}: HTTP ${res.status} ${body.error?.code ?? ''}: ${body.error?.message ?? ''}`);
      return body.value;
    },
  };
}
