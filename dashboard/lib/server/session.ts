import { cookies, headers } from "next/headers";
import { redirect } from "next/navigation";
import { cache } from "react";
import type { NextRequest, NextResponse } from "next/server";
import { apiBaseUrl, servedOverHttps, sessionCookieName } from "./config";
import type { Me, Platform } from "../types";

/**
 * Cookie attributes: httpOnly (no script can read the token), SameSite=Lax (no cross-site POSTs),
 * Path=/ and no Domain (only this exact host receives it), and over https Secure with the `__Host-`
 * name (see sessionCookieName), so no other subdomain can set or shadow it.
 */
export function sessionCookie(token: string, expiresAt: Date, env: Record<string, string | undefined> = process.env) {
  return {
    name: sessionCookieName(env),
    value: token,
    httpOnly: true,
    sameSite: "lax" as const,
    secure: servedOverHttps(env),
    path: "/",
    expires: expiresAt,
  };
}

/** The session token from a route handler's request, or undefined when the browser sent none. */
export function sessionToken(req: NextRequest): string | undefined {
  return req.cookies.get(sessionCookieName())?.value || undefined;
}

export function clearSession(res: NextResponse): NextResponse {
  // The same attributes as when it was set: browsers ignore a `__Host-` cookie without Secure and Path=/,
  // even one that only deletes.
  res.cookies.set({ ...sessionCookie("", new Date(0)), expires: undefined, maxAge: 0 });
  return res;
}

/** Server components: the token, or a trip to the sign-in page. */
export async function requireToken(): Promise<string> {
  const token = (await cookies()).get(sessionCookieName())?.value;
  if (!token) redirect("/signin");
  return token;
}

export class ApiError extends Error {
  constructor(
    public readonly status: number,
    public readonly body: unknown,
  ) {
    super(`API answered ${status}`);
  }
}

/**
 * A GET to the API from a server component with the user's token. A 401 means the session is over:
 * the expired route clears the cookie (server components cannot) and sends the user to sign in.
 */
export async function serverGet<T>(path: string, token: string): Promise<T> {
  let res: Response;
  try {
    res = await fetch(apiBaseUrl() + path, {
      headers: { Authorization: `Bearer ${token}`, Accept: "application/json", ...(await forwardedFor()) },
      cache: "no-store",
    });
  } catch {
    throw new ApiError(503, { title: "API unreachable", detail: "The Storefleet API cannot be reached right now. Try again in a moment." });
  }
  if (res.status === 401) redirect("/api/auth/expired");
  const body: unknown = await res.json().catch(() => null);
  if (!res.ok) throw new ApiError(res.status, body);
  return body as T;
}

async function forwardedFor(): Promise<Record<string, string>> {
  const h = await headers();
  const ip = h.get("x-forwarded-for");
  return ip ? { "X-Forwarded-For": ip } : {};
}

/** The signed-in account, fetched once per request however many components ask. */
export const getMe = cache(async (): Promise<Me> => serverGet<Me>("/me", await requireToken()));

let platformCache: { at: number; value: Platform | null } | null = null;

/** Which cluster the platform runs on (anonymous, cached for 30 s). Null when the API does not say. */
export async function getPlatform(): Promise<Platform | null> {
  if (platformCache && Date.now() - platformCache.at < 30_000) return platformCache.value;
  let value: Platform | null = null;
  try {
    const res = await fetch(apiBaseUrl() + "/platform", { cache: "no-store", signal: AbortSignal.timeout(2000) });
    if (res.ok) value = (await res.json()) as Platform;
  } catch {
    value = null;
  }
  platformCache = { at: Date.now(), value };
  return value;
}
