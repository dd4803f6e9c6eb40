/**
 * The served app's contract over HTTP, from Node: what the renderer calls, called by a test to set
 * up or read state through the same services (POST /api/<method> with the token header).
 *
 * Contract: `call` resolves with the method's `value`; a refusal (any non-2xx) rejects with a
 * `HostApiError` carrying the HTTP status and the wire error's code, field and message. Binary
 * methods are not offered (the renderer's own decoding is what the UI tests exercise).
 */
export interface HostApi {
  call(method: string, req: unknown): Promise<unknown>;
}

export class HostApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly field: string | null;
  constructor(method: string, status: number, wire: { code?: string; message?: string; field?: string | null } | undefined) {
    super(`${method}: HTTP ${status} ${wire?.code ?? ''}: ${wire?.message ?? ''}`);
    this.name = 'HostApiError';
    this.status = status;
    this.code = wire?.code ?? '';
    this.field = wire?.field ?? null;
  }
}

/** `url` is the URL the host printed, token included. */
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
      const body = (await res.json()) as { value?: unknown; error?: { code?: string; message?: string; field?: string | null } };
      if (!res.ok) throw new HostApiError(method, res.status, body.error);
      return body.value;
    },
  };
}
