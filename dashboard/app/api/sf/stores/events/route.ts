import type { NextRequest } from "next/server";
import { apiBaseUrl } from "@/lib/server/config";
import { apiUnreachable, forwardedHeaders, notSignedIn, problemResponse } from "@/lib/server/proxy";
import { clearSession, sessionToken } from "@/lib/server/session";

export const dynamic = "force-dynamic";

/**
 * The live stream (server-sent events), relayed from the API with the token from the cookie:
 * EventSource cannot set an Authorization header. Bytes are passed through as they arrive; when the
 * browser goes away the request is aborted and so is the upstream connection.
 */
export async function GET(req: NextRequest) {
  const token = sessionToken(req);
  if (!token) return notSignedIn();
  let upstream: Response;
  try {
    upstream = await fetch(apiBaseUrl() + "/stores/events", {
      headers: { Authorization: `Bearer ${token}`, Accept: "text/event-stream", ...forwardedHeaders(req) },
      cache: "no-store",
      signal: req.signal,
    });
  } catch {
    return apiUnreachable();
  }
  if (upstream.status === 401) return clearSession(problemResponse(401, "Session expired", "Your session expired, sign in again."));
  const type = upstream.headers.get("content-type") ?? "";
  if (!upstream.ok || !upstream.body || !type.startsWith("text/event-stream")) {
    await upstream.body?.cancel();
    // A non-stream answer makes EventSource give up; the page then polls and retries the stream later.
    return problemResponse(upstream.ok ? 502 : upstream.status, "Live updates unavailable", "The live update stream is not available; the page refreshes every few seconds instead.");
  }
  return new Response(upstream.body, {
    status: 200,
    headers: {
      "Content-Type": "text/event-stream; charset=utf-8",
      // no-transform also keeps Next's gzip from buffering the stream.
      "Cache-Control": "no-cache, no-transform",
      "X-Accel-Buffering": "no",
      Connection: "keep-alive",
    },
  });
}
