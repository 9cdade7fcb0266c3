/** Where a user lands after signing in when `next` is missing or not acceptable. */
export const DEFAULT_LANDING = "/stores";

const ORIGIN = "https://dashboard.invalid";
// Backslashes (browsers read "\" as "/" in URLs, so "/\evil.com" is "//evil.com") and control
// characters (browsers drop tab, CR and LF anywhere in a URL, so "/\t/evil.com" is "//evil.com").
const UNSAFE = /[\\\u0000-\u001f\u007f]/;

/**
 * The path to follow after sign-in: only a path on this dashboard, never another origin (no open
 * redirect) and never one of the dashboard's own API routes. Anything doubtful gives DEFAULT_LANDING.
 * The raw value and every percent-decoded form of it must be free of backslashes and control
 * characters and must not start with "//"; then the value is resolved against a dummy origin and must
 * stay on it. What is returned is the resolved path, query and fragment, not the raw input.
 */
export function safeNext(next: string | null | undefined): string {
  if (typeof next !== "string" || next.length === 0 || next.length > 2048) return DEFAULT_LANDING;
  let decoded = next;
  for (let round = 0; ; round++) {
    if (!decoded.startsWith("/") || decoded.startsWith("//") || UNSAFE.test(decoded)) return DEFAULT_LANDING;
    let once: string;
    try {
      once = decodeURIComponent(decoded);
    } catch {
      return DEFAULT_LANDING; // malformed escapes: not something our own pages produce
    }
    if (once === decoded) break;
    if (round === 3) return DEFAULT_LANDING; // encoded four times over: not a real link
    decoded = once;
  }
  let url: URL;
  try {
    url = new URL(next, ORIGIN);
  } catch {
    return DEFAULT_LANDING;
  }
  if (url.origin !== ORIGIN) return DEFAULT_LANDING;
  const path = decodeURIComponent(url.pathname);
  if (path === "/api" || path.startsWith("/api/")) return DEFAULT_LANDING;
  return url.pathname + url.search + url.hash;
}
