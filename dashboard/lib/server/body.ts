import type { NextResponse } from "next/server";
import { problemResponse } from "./proxy";

/**
 * The largest request body any dashboard route accepts. The dashboard only ever sends small JSON
 * (a store name, email and password); 64 KB is generous for that and small enough that a flood of
 * requests cannot exhaust the server's memory.
 */
export const MAX_BODY_BYTES = 64 * 1024;

export type BodyText = { ok: true; text: string } | { ok: false; response: NextResponse };

export const bodyTooLarge = (limit = MAX_BODY_BYTES) =>
  problemResponse(
    413,
    "Request too large",
    `The request body is larger than ${Math.round(limit / 1024)} KB, the most the dashboard accepts.`,
    // Close the connection rather than let the server drain whatever the client is still sending.
    { Connection: "close" },
  );

/**
 * Reads a request body as text, never more than `limit` bytes: a declared Content-Length over the
 * limit is refused before a byte is read, and a chunked body is counted while it streams and abandoned
 * (stream cancelled) as soon as it passes the limit. Memory per request is therefore at most `limit`
 * plus one chunk, whatever the client sends.
 */
export async function readBoundedText(req: Request, limit = MAX_BODY_BYTES): Promise<BodyText> {
  const declared = req.headers.get("content-length");
  if (declared !== null && !(Number(declared) <= limit)) return { ok: false, response: bodyTooLarge(limit) };
  if (!req.body) return { ok: true, text: "" };
  const reader = req.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > limit) {
      await reader.cancel().catch(() => undefined);
      return { ok: false, response: bodyTooLarge(limit) };
    }
    chunks.push(value);
  }
  const all = new Uint8Array(total);
  let at = 0;
  for (const chunk of chunks) {
    all.set(chunk, at);
    at += chunk.byteLength;
  }
  return { ok: true, text: new TextDecoder().decode(all) };
}

export type BodyJson = { ok: true; json: unknown } | { ok: false; response: NextResponse };

/** A bounded body parsed as JSON; an empty or malformed body is `null` (the caller decides what that means). */
export async function readBoundedJson(req: Request, limit = MAX_BODY_BYTES): Promise<BodyJson> {
  const body = await readBoundedText(req, limit);
  if (!body.ok) return body;
  try {
    return { ok: true, json: body.text === "" ? null : (JSON.parse(body.text) as unknown) };
  } catch {
    return { ok: true, json: null };
  }
}
