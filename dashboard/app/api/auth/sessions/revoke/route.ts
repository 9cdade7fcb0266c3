import { NextResponse, type NextRequest } from "next/server";
import { apiBaseUrl } from "@/lib/server/config";
import { passProblem } from "@/lib/server/auth";
import { apiUnreachable, crossSiteRefused, forwardedHeaders, isCrossSite, notSignedIn } from "@/lib/server/proxy";
import { clearSession, sessionToken } from "@/lib/server/session";

/**
 * Signs out everywhere (API: POST /me/sessions/revoke → 204): every token issued so far stops working,
 * on every device, and this browser's cookie is dropped too. No body is read.
 */
export async function POST(req: NextRequest) {
  if (isCrossSite(req)) return crossSiteRefused();
  const token = sessionToken(req);
  if (!token) return notSignedIn();
  let answer: Response;
  try {
    answer = await fetch(apiBaseUrl() + "/me/sessions/revoke", {
      method: "POST",
      headers: { Authorization: `Bearer ${token}`, Accept: "application/json", ...forwardedHeaders(req) },
      cache: "no-store",
      redirect: "manual",
    });
  } catch {
    return apiUnreachable();
  }
  // 401: the token was already refused (expired or revoked elsewhere); signed out either way.
  if (answer.status === 204 || answer.status === 401) {
    await answer.body?.cancel();
    return clearSession(NextResponse.json({ signedOut: true, everywhere: answer.status === 204 }, { headers: { "Cache-Control": "no-store" } }));
  }
  return passProblem(answer.status, await answer.json().catch(() => null), answer.headers.get("retry-after"));
}
