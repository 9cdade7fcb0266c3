import { NextResponse, type NextRequest } from "next/server";
import { servedOverHttps } from "@/lib/server/config";
import { newNonce, pagePolicy, STRICT_TRANSPORT_SECURITY } from "@/lib/server/security-headers";

/**
 * Every page response gets a Content-Security-Policy with a nonce of its own. Next.js reads the policy
 * from the request headers while rendering and puts the nonce on every script tag it writes; the same
 * policy goes back to the browser. Pages are rendered per request (the root layout waits for the
 * request), so no page is served from a build-time copy without a nonce.
 */
export function proxy(request: NextRequest) {
  const nonce = newNonce();
  const https = servedOverHttps();
  const policy = pagePolicy(nonce, { https, dev: process.env.NODE_ENV === "development" });
  const requestHeaders = new Headers(request.headers);
  requestHeaders.set("Content-Security-Policy", policy);
  const response = NextResponse.next({ request: { headers: requestHeaders } });
  response.headers.set("Content-Security-Policy", policy);
  if (https) response.headers.set("Strict-Transport-Security", STRICT_TRANSPORT_SECURITY);
  return response;
}

export const config = {
  // Not the route handlers under /api: when a proxy runs, Next.js copies the request body (up to
  // 10 MB) before the handler sees it and waits for the whole body, which would undo the handlers'
  // session-first, 64 KB-capped reading. They and the static files get a fixed policy from
  // next.config.ts instead.
  matcher: ["/((?!api/|_next/static/|_next/image|favicon.ico).*)"],
};
