/**
 * The renderer's Content-Security-Policy, shared by `scopecloud serve` (HTTP header) and the
 * Electron window (protocol response header). Nothing remote: scripts, styles and fonts come from
 * the bundle only; images may also be blob:/data: (result PNGs arrive as bytes).
 */
export function rendererCsp(opts: { connect?: readonly string[] } = {}): string {
  const connect = ["'self'", ...(opts.connect ?? [])].join(' ');
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' blob: data:",
    "font-src 'self'",
    `connect-src ${connect}`,
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
    "object-src 'none'",
  ].join('; ');
}

export const securityHeaders: Readonly<Record<string, string>> = {
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'X-Frame-Options': 'DENY',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
  'Permissions-Policy': 'camera=(), microphone=(), geolocation=()',
};
