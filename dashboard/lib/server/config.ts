/** The API base URL, read on the server only: the browser never talks to the API directly. */
export function apiBaseUrl(): string {
  return (process.env.STOREFLEET_API_URL || "http://127.0.0.1:8080").replace(/\/+$/, "");
}

/**
 * Where browsers reach the dashboard (DASHBOARD_PUBLIC_URL, set by the platform chart from
 * ingress.dashboardHost and ingress.tls.enabled). Cookies and HSTS follow this setting, never a request
 * header: a header can be forged or stripped by any hop in front of us, configuration cannot.
 * Unset means a developer's plain-http machine (make run, the e2e tests).
 */
export function publicUrl(env: Record<string, string | undefined> = process.env): URL | null {
  const raw = env.DASHBOARD_PUBLIC_URL?.trim();
  if (!raw) return null;
  try {
    return new URL(raw);
  } catch {
    throw new Error(`DASHBOARD_PUBLIC_URL is not a URL: "${raw}". Set it to the dashboard's address, e.g. https://app.storefleet.example.com`);
  }
}

/** True when the dashboard is served over https: Secure __Host- cookie, HSTS, upgrade-insecure-requests. */
export function servedOverHttps(env: Record<string, string | undefined> = process.env): boolean {
  return publicUrl(env)?.protocol === "https:";
}

/**
 * The httpOnly cookie that carries the API access token.
 *
 * Over https it is `__Host-sf_session`: the browser then guarantees it was set by this exact host with
 * Secure, Path=/ and no Domain, so a store's WordPress on a sibling subdomain can neither plant nor
 * overwrite it (a Domain cookie named `__Host-…` is refused). Browsers refuse `__Host-` without Secure,
 * and Secure cookies need https, so a plain-http dashboard (127.0.0.1 in development and tests) uses
 * the unprefixed name `sf_session`: there is no sibling store host there to defend against.
 */
export function sessionCookieName(env: Record<string, string | undefined> = process.env): string {
  return servedOverHttps(env) ? "__Host-sf_session" : "sf_session";
}
