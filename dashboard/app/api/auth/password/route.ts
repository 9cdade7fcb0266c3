import { NextResponse, type NextRequest } from "next/server";
import { readBoundedJson } from "@/lib/server/body";
import { apiBaseUrl } from "@/lib/server/config";
import { passProblem, signIn } from "@/lib/server/auth";
import { apiUnreachable, crossSiteRefused, forwardedHeaders, isCrossSite, notSignedIn, problemResponse } from "@/lib/server/proxy";
import { clearSession, sessionToken } from "@/lib/server/session";

/**
 * Changes the password (API: POST /me/password → 204). The API then refuses every token issued before
 * the change, this browser's included, so the dashboard signs straight in again with the new password
 * and replaces its cookie: the user stays signed in here and is signed out everywhere else.
 */
export async function POST(req: NextRequest) {
  if (isCrossSite(req)) return crossSiteRefused();
  const token = sessionToken(req);
  if (!token) return notSignedIn();
  const read = await readBoundedJson(req);
  if (!read.ok) return read.response;
  const body = read.json as { currentPassword?: unknown; newPassword?: unknown } | null;
  if (typeof body !== "object" || body === null) return problemResponse(400, "Invalid request", "Send your current and your new password.");

  const call = (path: string, init: RequestInit) =>
    fetch(apiBaseUrl() + path, {
      ...init,
      headers: { Authorization: `Bearer ${token}`, Accept: "application/json", "Content-Type": "application/json", ...forwardedHeaders(req) },
      cache: "no-store",
      redirect: "manual",
    });
  let me: Response;
  let changed: Response;
  try {
    // The email is needed to sign in again afterwards, and the old token will not be accepted then.
    me = await call("/me", { method: "GET" });
    if (me.status === 401) return clearSession(problemResponse(401, "Session expired", "Your session expired, sign in again."));
    if (!me.ok) return passProblem(me.status, await me.json().catch(() => null), me.headers.get("retry-after"));
    changed = await call("/me/password", {
      method: "POST",
      body: JSON.stringify({ currentPassword: body.currentPassword, newPassword: body.newPassword }),
    });
  } catch {
    return apiUnreachable();
  }
  const email = ((await me.json().catch(() => null)) as { email?: string } | null)?.email;
  if (changed.status !== 204) {
    const problem = await changed.json().catch(() => null);
    const res = passProblem(changed.status, problem, changed.headers.get("retry-after"));
    return changed.status === 401 ? clearSession(res) : res;
  }
  const signedIn = await signIn(req, email, body.newPassword, 200, { passwordChanged: true });
  // Changed, but signing in again failed (rate limit, API restart): the old cookie is dead, so drop it
  // and let the user sign in with the new password.
  if (signedIn.status !== 200) return clearSession(NextResponse.json({ passwordChanged: true, signedIn: false }, { headers: { "Cache-Control": "no-store" } }));
  return signedIn;
}
