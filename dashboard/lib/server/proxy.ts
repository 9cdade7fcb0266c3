import { NextResponse, type NextRequest } from "next/server";
import { apiBaseUrl } from "./config";
import { clearSession } from "./session";
import { problem } from "../problem";

/**
 * Mutations must come from our own pages. The cookie is SameSite=Lax already; this also refuses
 * cross-site requests from browsers that send Sec-Fetch-Site or Origin.
 */
export function isCrossSite(req: NextRequest): boolean {
  const site = req.headers.get("sec-fetch-site");
  if (site && site !== "same-origin" && site !== "none") return true;
  const origin = req.headers.get("origin");
  if (!origin) return false;
  const host = req.headers.get("x-forwarded-host") ?? req.headers.get("host");
  try {
    return new URL(origin).host !== host;
  } catch {
    return true;
  }
}

export function problemResponse(status: number, title: string, detail: string, headers?: HeadersInit): NextResponse {
  return NextResponse.json(problem(status, title, detail), {
    status,
    headers: { "Content-Type": "application/problem+json", "Cache-Control": "no-store", ...headers },
  });
}

export const crossSiteRefused = () =>
  problemResponse(403, "Request refused", "This request did not come from the Storefleet dashboard.");

/**
 * No session cookie: answered before any request body is read, and the connection closed so that the
 * server does not drain whatever body the client is still sending.
 */
export const notSignedIn = () =>
  clearSession(problemResponse(401, "Not signed in", "Your session expired, sign in again.", { Connection: "close" }));

export const apiUnreachable = () =>
  problemResponse(502, "API unreachable", "The Storefleet API cannot be reached right now. Try again in a moment.");

/** Headers worth passing on from the API to the browser. */
const PASS_HEADERS = ["content-type", "retry-after", "location"];

/** The client's address, for the API's audit log and per-IP limits (the API sees only this server). */
export function forwardedHeaders(req: NextRequest): Record<string, string> {
  const xff = req.headers.get("x-forwarded-for");
  const real = req.headers.get("x-real-ip");
  return xff ? { "X-Forwarded-For": xff } : real ? { "X-Forwarded-For": real } : {};
}

/**
 * Forwards one request to the API with the session's token, and the answer back unchanged except that
 * a 401 also clears the cookie (the token was refused: expired, revoked by a password change or "sign
 * out everywhere"; the page then sends the user to sign in). The caller has checked that a token is
 * there before reading any request body.
 */
export async function forward(req: NextRequest, token: string, apiPath: string, init: { method: string; body?: string; headers?: Record<string, string> }) {
  let upstream: Response;
  try {
    upstream = await fetch(apiBaseUrl() + apiPath, {
      method: init.method,
      headers: { Authorization: `Bearer ${token}`, Accept: "application/json", ...forwardedHeaders(req), ...init.headers },
      body: init.body,
      cache: "no-store",
      redirect: "manual",
    });
  } catch {
    return apiUnreachable();
  }
  const headers = new Headers({ "Cache-Control": "no-store" });
  for (const name of PASS_HEADERS) {
    const value = upstream.headers.get(name);
    if (value) headers.set(name, value);
  }
  const body = upstream.status === 204 ? null : await upstream.arrayBuffer();
  const res = new NextResponse(body, { status: upstream.status, headers });
  return upstream.status === 401 ? clearSession(res) : res;
}
