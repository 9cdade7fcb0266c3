import { NextResponse, type NextRequest } from "next/server";
import { apiBaseUrl } from "./config";
import { readBoundedJson } from "./body";
import { apiUnreachable, forwardedHeaders } from "./proxy";
import { sessionCookie } from "./session";

interface TokenResponse {
  accessToken: string;
  expiresAt: string;
}

/** Posts JSON to the API and hands back the status, body and Retry-After. */
export async function postToApi(req: NextRequest, path: string, body: unknown) {
  const res = await fetch(apiBaseUrl() + path, {
    method: "POST",
    headers: { "Content-Type": "application/json", Accept: "application/json", ...forwardedHeaders(req) },
    body: JSON.stringify(body),
    cache: "no-store",
  });
  const json: unknown = await res.json().catch(() => null);
  return { status: res.status, json, retryAfter: res.headers.get("retry-after") };
}

export function passProblem(status: number, json: unknown, retryAfter: string | null) {
  return NextResponse.json(json ?? { title: "Request failed", status }, {
    status,
    headers: { "Cache-Control": "no-store", ...(retryAfter ? { "Retry-After": retryAfter } : {}) },
  });
}

/** Signs in: exchanges email and password for a token and keeps the token in an httpOnly cookie only. */
export async function signIn(req: NextRequest, email: unknown, password: unknown, okStatus = 200, extra: object = {}) {
  let answer;
  try {
    answer = await postToApi(req, "/auth/login", { email, password });
  } catch {
    return apiUnreachable();
  }
  if (answer.status !== 200) return passProblem(answer.status, answer.json, answer.retryAfter);
  const token = answer.json as TokenResponse;
  const res = NextResponse.json({ signedIn: true, ...extra }, { status: okStatus, headers: { "Cache-Control": "no-store" } });
  // The cookie outlives the token by a day on purpose: an expired token still reaches the API, which
  // answers 401, and the user is told "Your session expired" instead of silently landing on sign-in.
  const cookieExpires = new Date(Date.parse(token.expiresAt) + 24 * 3600 * 1000);
  res.cookies.set(sessionCookie(token.accessToken, cookieExpires));
  return res;
}

/** Credentials from a sign-in or sign-up form: a bounded body (over 64 KB is a 413), an object or null. */
export async function readCredentials(req: NextRequest): Promise<{ ok: true; body: { email?: unknown; password?: unknown } | null } | { ok: false; response: NextResponse }> {
  const read = await readBoundedJson(req);
  if (!read.ok) return read;
  const body = read.json;
  return { ok: true, body: typeof body === "object" && body !== null ? (body as { email?: unknown; password?: unknown }) : null };
}
