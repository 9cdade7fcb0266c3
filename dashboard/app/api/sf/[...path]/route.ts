import type { NextRequest } from "next/server";
import { crossSiteRefused, forward, isCrossSite, problemResponse } from "@/lib/server/proxy";

// The browser reaches the API only through here: the token stays in the httpOnly cookie.
// Only the API routes the dashboard uses are forwarded, so this is not an open proxy.
const ID = "[0-9a-fA-F-]{36}";
const ALLOWED: Record<string, RegExp> = {
  GET: new RegExp(`^/(me|stores|stores/${ID}|stores/${ID}/events|stores/${ID}/credentials|admin/stores|admin/audit)$`),
  POST: new RegExp(`^/(stores|stores/${ID}/retry)$`),
  DELETE: new RegExp(`^/stores/${ID}$`),
};

export const dynamic = "force-dynamic";

type Context = { params: Promise<{ path: string[] }> };

async function handle(req: NextRequest, ctx: Context) {
  const path = "/" + (await ctx.params).path.map(encodeURIComponent).join("/");
  if (!ALLOWED[req.method]?.test(path)) return problemResponse(404, "Not found", "The dashboard does not offer this API call.");
  if (req.method !== "GET" && isCrossSite(req)) return crossSiteRefused();
  const headers: Record<string, string> = {};
  const key = req.headers.get("idempotency-key");
  if (key) headers["Idempotency-Key"] = key;
  let body: string | undefined;
  if (req.method === "POST") {
    body = await req.text();
    headers["Content-Type"] = "application/json";
    // POST /stores/{id}/retry takes no body; the API rejects an empty JSON document, so send none.
    if (body === "") body = undefined;
  }
  return forward(req, path + req.nextUrl.search, { method: req.method, body, headers });
}

export const GET = handle;
export const POST = handle;
export const DELETE = handle;
