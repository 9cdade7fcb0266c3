// @vitest-environment node
import { NextRequest } from "next/server";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { MAX_BODY_BYTES, readBoundedText } from "@/lib/server/body";
import { POST as proxyPost } from "@/app/api/sf/[...path]/route";
import { POST as loginPost } from "@/app/api/auth/login/route";
import { POST as passwordPost } from "@/app/api/auth/password/route";

/** A request body that records how much of it was read, and can go on for ever. */
function trackedBody(chunkBytes: number, chunks = Infinity) {
  const seen = { pulls: 0, bytes: 0, cancelled: false };
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (seen.pulls >= chunks) return controller.close();
      seen.pulls++;
      seen.bytes += chunkBytes;
      controller.enqueue(new Uint8Array(chunkBytes).fill(0x61));
    },
    cancel() {
      seen.cancelled = true;
    },
  }, { highWaterMark: 0 });
  return { stream, seen };
}

function post(path: string, body: ReadableStream<Uint8Array> | string, headers: Record<string, string> = {}) {
  return new NextRequest(`http://127.0.0.1:3000${path}`, {
    method: "POST",
    body,
    headers: { "content-type": "application/json", "sec-fetch-site": "same-origin", ...headers },
    duplex: "half", // Node's fetch needs this for a streamed body
  } as ConstructorParameters<typeof NextRequest>[1]);
}

const storesCtx = { params: Promise.resolve({ path: ["stores"] }) };
let fetchMock: ReturnType<typeof vi.fn>;

beforeEach(() => {
  fetchMock = vi.fn();
  vi.stubGlobal("fetch", fetchMock);
});
afterEach(() => vi.unstubAllGlobals());

describe("readBoundedText", () => {
  it("refuses a declared Content-Length over the limit without reading a byte", async () => {
    const { stream, seen } = trackedBody(1024);
    const result = await readBoundedText(post("/x", stream, { "content-length": String(256 * 1024 * 1024) }));
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.response.status).toBe(413);
    expect(seen.pulls).toBe(0);
  });

  it("stops reading a chunked body as soon as it passes the limit, and cancels the rest", async () => {
    const { stream, seen } = trackedBody(16 * 1024);
    const result = await readBoundedText(post("/x", stream));
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.response.status).toBe(413);
      expect(result.response.headers.get("connection")).toBe("close");
      const problem = await result.response.json();
      expect(problem).toMatchObject({ status: 413, title: "Request too large" });
      expect(problem.detail).toMatch(/64 KB/);
    }
    // 64 KB in 16 KB chunks: the fifth chunk crosses the limit; at most one more may be in flight.
    expect(seen.bytes).toBeLessThanOrEqual(MAX_BODY_BYTES + 2 * 16 * 1024);
    expect(seen.cancelled).toBe(true);
  });

  it("reads a body of exactly the limit", async () => {
    const { stream } = trackedBody(1024, MAX_BODY_BYTES / 1024);
    const result = await readBoundedText(post("/x", stream));
    expect(result.ok && result.text.length).toBe(MAX_BODY_BYTES);
  });
});

describe("the dashboard's route handlers", () => {
  it("answer an unauthenticated POST with 401 before reading its body", async () => {
    const { stream, seen } = trackedBody(1024 * 1024);
    const res = await proxyPost(post("/api/sf/stores", stream), storesCtx);
    expect(res.status).toBe(401);
    expect(res.headers.get("connection")).toBe("close");
    expect(seen.pulls).toBe(0);
    expect(fetchMock).not.toHaveBeenCalled();
  });

  it("answer a signed-in POST of 65 KB with 413 and never call the API", async () => {
    const body = JSON.stringify({ name: "x".repeat(65 * 1024) });
    const res = await proxyPost(post("/api/sf/stores", body, { cookie: "sf_session=token-1" }), storesCtx);
    expect(res.status).toBe(413);
    expect(res.headers.get("content-type")).toBe("application/problem+json");
    expect(fetchMock).not.toHaveBeenCalled();
  });

  it("answer a signed-in chunked POST that grows past 64 KB with 413", async () => {
    const { stream, seen } = trackedBody(8 * 1024);
    const res = await proxyPost(post("/api/sf/stores", stream, { cookie: "sf_session=token-1" }), storesCtx);
    expect(res.status).toBe(413);
    expect(seen.cancelled).toBe(true);
    expect(fetchMock).not.toHaveBeenCalled();
  });

  it("forward a small signed-in POST with the token from the cookie", async () => {
    fetchMock.mockResolvedValue(new Response(JSON.stringify({ id: "1" }), { status: 201, headers: { "content-type": "application/json" } }));
    const res = await proxyPost(post("/api/sf/stores", JSON.stringify({ name: "Ana Bakery" }), { cookie: "sf_session=token-1" }), storesCtx);
    expect(res.status).toBe(201);
    const [url, init] = fetchMock.mock.calls[0];
    expect(url).toMatch(/\/stores$/);
    expect(init.headers.Authorization).toBe("Bearer token-1");
    expect(init.body).toBe(JSON.stringify({ name: "Ana Bakery" }));
  });

  it("refuse a 65 KB sign-in body with 413 (sign-in has no session to check first)", async () => {
    const res = await loginPost(post("/api/auth/login", JSON.stringify({ email: "a@example.com", password: "p".repeat(65 * 1024) })));
    expect(res.status).toBe(413);
    expect(fetchMock).not.toHaveBeenCalled();
  });

  it("answer an unauthenticated password change with 401 before reading its body", async () => {
    const { stream, seen } = trackedBody(1024 * 1024);
    const res = await passwordPost(post("/api/auth/password", stream));
    expect(res.status).toBe(401);
    expect(seen.pulls).toBe(0);
    expect(fetchMock).not.toHaveBeenCalled();
  });
});
