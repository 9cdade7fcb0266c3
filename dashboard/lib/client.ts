"use client";
import { explainProblem, isProblem, type Explained } from "./problem";
import type { Problem } from "./types";

/** Where the browser reaches the API: the dashboard's own route handlers, which add the token from the cookie. */
export const API_PREFIX = "/api/sf";

export const EXPIRED_PATH = "/signin?reason=expired";

export type ApiResult<T> =
  | { ok: true; status: number; data: T }
  | { ok: false; status: number; problem: Problem; explained: Explained };

let redirecting = false;

/** Sends the user to sign in with "Your session expired" (the route handler already cleared the cookie). */
export function sessionExpired(): void {
  if (redirecting || typeof window === "undefined") return;
  redirecting = true;
  const back = window.location.pathname + window.location.search;
  window.location.assign(`${EXPIRED_PATH}&next=${encodeURIComponent(back)}`);
}

async function readProblem(res: Response): Promise<Problem> {
  const text = await res.text().catch(() => "");
  try {
    const parsed: unknown = JSON.parse(text);
    if (isProblem(parsed)) return parsed;
  } catch {
    // not JSON: fall through to a generic problem
  }
  return { status: res.status, title: res.statusText || "Request failed" };
}

/**
 * Calls the API through the dashboard. Never throws: network failures and API errors both come back as a
 * problem with human words. A 401 means the session is gone, so the user is sent to sign in.
 */
export async function callApi<T>(
  path: string,
  init: RequestInit & { json?: unknown; knownFields?: string[] } = {},
): Promise<ApiResult<T>> {
  const { json, knownFields, headers, ...rest } = init;
  let res: Response;
  try {
    res = await fetch(path.startsWith("/api/") ? path : API_PREFIX + path, {
      ...rest,
      headers: { Accept: "application/json", ...(json !== undefined ? { "Content-Type": "application/json" } : {}), ...headers },
      body: json !== undefined ? JSON.stringify(json) : rest.body,
      credentials: "same-origin",
      cache: "no-store",
    });
  } catch {
    const problem: Problem = { status: 0, title: "Network error", detail: "Could not reach the dashboard. Check your connection and try again." };
    return { ok: false, status: 0, problem, explained: explainProblem(problem, 0, knownFields) };
  }
  if (res.ok) {
    const data = res.status === 204 ? (undefined as T) : ((await res.json()) as T);
    return { ok: true, status: res.status, data };
  }
  const problem = await readProblem(res);
  if (problem.retryAfterSeconds === undefined) {
    const header = Number(res.headers.get("Retry-After"));
    if (Number.isFinite(header) && header > 0) problem.retryAfterSeconds = header;
  }
  if (res.status === 401 && !path.startsWith("/api/auth/")) sessionExpired();
  return { ok: false, status: res.status, problem, explained: explainProblem(problem, res.status, knownFields) };
}
