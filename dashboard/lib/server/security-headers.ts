/**
 * The page headers that depend on the request or the deployment: a Content-Security-Policy with a
 * fresh nonce per response and HSTS (proxy.ts). The fixed headers of every response, and the deny-all
 * policy of route handlers and static files, are in next.config.ts (evaluated at build time, and
 * shipped in the image without this folder).
 */

export interface PolicyOptions {
  /** Served over https (DASHBOARD_PUBLIC_URL): upgrade stray http sub-requests. */
  https: boolean;
  /** `next dev`: React needs eval for its error overlay, and injects styles without a nonce. */
  dev: boolean;
}

/**
 * A strict policy for HTML pages: scripts only with this response's nonce (Next.js puts it on its own
 * script tags) or loaded by such a script ('strict-dynamic'), no inline event handlers, no eval, no
 * inline style attributes; the page talks to its own origin only (connect-src: the /api/sf proxy and
 * the event stream), cannot be framed, and cannot post forms elsewhere.
 */
export function pagePolicy(nonce: string, { https, dev }: PolicyOptions): string {
  return [
    "default-src 'self'",
    `script-src 'self' 'nonce-${nonce}' 'strict-dynamic'${dev ? " 'unsafe-eval'" : ""}`,
    dev ? "style-src 'self' 'unsafe-inline'" : `style-src 'self' 'nonce-${nonce}'`,
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
    ...(https ? ["upgrade-insecure-requests"] : []),
  ].join("; ");
}

/**
 * HSTS, only when the dashboard is configured as https: browsers then refuse plain http to this host
 * for a year. Sent with every page; a browser reaches the dashboard through a page first, and the
 * policy is per host, so it covers the route handlers' responses too.
 */
export const STRICT_TRANSPORT_SECURITY = "max-age=31536000; includeSubDomains";

/** A nonce: 128 random bits, base64 (what CSP's nonce-source expects). */
export function newNonce(): string {
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  return btoa(String.fromCharCode(...bytes));
}
