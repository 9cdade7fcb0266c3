import type { NextRequest } from "next/server";
import { readBoundedText } from "@/lib/server/body";
import { crossSiteRefused, forward, isCrossSite, notSignedIn, problemResponse } from "@/lib/server/proxy";
import { sessionToken } from "@/lib/server/session";

// The browser reaches the API only through here: the token stays in the httpOnly cookie.
// Only the API routes the dashboard uses are forwarded, so this is not an open proxy.
const ID = "[0-9a-fA-F-]{36}";
const ALLOWED: Record<string, RegExp> = {
  GET: new RegExp(`^/(me|stores|stores/${ID}|stores/${ID}/events|stores/${ID}/credentials|stores/${ID}/backups|admin/stores|admin/audit|admin/chart-versions|admin/upgrades|admin/upgrades/${ID})$`),
  POST: new RegExp(`^/(stores|stores/${ID}/retry|stores/${ID}/backups|stores/${ID}/restore|admin/upgrades|admin/upgrades/${ID}/(pause|resume|abort|rollback))$`),
  DELETE: new RegExp(`^/stores/${ID}$`),
};

export const dynamic = "force-dynamic";

type Context = { params: Promise<{ path: string[] }> };

async function handle(req: NextRequest, ctx: Context) {
  const path = "/" + (await ctx.params).path.map(encodeURIComponent).join("/");
  if (!ALLOWED[req.method]?.test(path)) return problemResponse(404, "Not found", "The dashboard does not offer this API call.");
  if (req.method !== "GET" && isCrossSite(req)) return crossSiteRefused();
  // The session first: a request without one is answered before a byte of its body is read.
  const token = sessionToken(req);
  if (!token) return notSignedIn();
  const headers: Record<string, string> = {};
  const key = req.headers.get("idempotency-key");
  if (key) headers["Idempotency-Key"] = key;
  let body: string | undefined;
  if (req.method === "POST") {
    const read = await readBoundedText(req);
    if (!read.ok) return read.response;
    headers["Content-Type"] = "application/json";
    // POST /stores/{id}/retry, /backups and the rollout actions take no body; the API rejects an empty JSON document, so send none.
    body = read.text === "" ? undefined : read.text;
  }
  return forward(req, token, path + req.nextUrl.search, { method: req.method, body, headers });
}

export const GET = handle;
export const POST = handle;
export const DELETE = handle;
