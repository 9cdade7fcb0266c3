// @vitest-environment node
import { NextRequest, NextResponse } from "next/server";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { sessionCookieName } from "@/lib/server/config";
import { clearSession, sessionCookie } from "@/lib/server/session";
import { newNonce, pagePolicy } from "@/lib/server/security-headers";
import { config as proxyConfig, proxy } from "@/proxy";
import { POST as loginPost } from "@/app/api/auth/login/route";
import { POST as revokePost } from "@/app/api/auth/sessions/revoke/route";
import { POST as passwordPost } from "@/app/api/auth/password/route";

const HTTPS = { DASHBOARD_PUBLIC_URL: "https://app.storefleet.example.com" };
const HTTP = { DASHBOARD_PUBLIC_URL: "http://127.0.0.1:3000" };

function post(path: string, body?: string, headers: Record<string, string> = {}) {
  return new NextRequest(`http://127.0.0.1:3000${path}`, {
    method: "POST",
    body,
    headers: { "content-type": "application/json", "sec-fetch-site": "same-origin", ...headers },
  });
}
const json = (status: number, body: unknown) => new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });

let fetchMock: ReturnType<typeof vi.fn>;
beforeEach(() => {
  fetchMock = vi.fn();
  vi.stubGlobal("fetch", fetchMock);
});
afterEach(() => {
  vi.unstubAllGlobals();
  vi.unstubAllEnvs();
});

describe("the session cookie", () => {
  it("is __Host- prefixed, Secure, Path=/ and without Domain when the dashboard is https", () => {
    const cookie = sessionCookie("tok", new Date("2030-01-01T00:00:00Z"), HTTPS);
    expect(cookie).toMatchObject({ name: "__Host-sf_session", secure: true, path: "/", httpOnly: true, sameSite: "lax" });
    expect(cookie).not.toHaveProperty("domain");
  });

  it("is plain sf_session without Secure on a plain-http dashboard (development, tests)", () => {
    expect(sessionCookie("tok", new Date(), HTTP)).toMatchObject({ name: "sf_session", secure: false });
    expect(sessionCookieName({})).toBe("sf_session");
  });

  it("follows configuration, not a forwarded-proto header", async () => {
    vi.stubEnv("DASHBOARD_PUBLIC_URL", "");
    fetchMock.mockResolvedValue(json(200, { accessToken: "t1", expiresAt: "2030-01-01T00:00:00Z" }));
    const res = await loginPost(post("/api/auth/login", JSON.stringify({ email: "a@example.com", password: "p" }), { "x-forwarded-proto": "https" }));
    expect(res.headers.get("set-cookie")).toMatch(/^sf_session=t1;/);
    expect(res.headers.get("set-cookie")).not.toMatch(/Secure/i);
  });

  it("is set by sign-in as __Host-sf_session; Secure; HttpOnly; SameSite=Lax; Path=/ with no Domain over https", async () => {
    vi.stubEnv("DASHBOARD_PUBLIC_URL", HTTPS.DASHBOARD_PUBLIC_URL);
    fetchMock.mockResolvedValue(json(200, { accessToken: "t1", expiresAt: "2030-01-01T00:00:00Z" }));
    const res = await loginPost(post("/api/auth/login", JSON.stringify({ email: "a@example.com", password: "p" })));
    const setCookie = res.headers.get("set-cookie") ?? "";
    expect(setCookie).toMatch(/^__Host-sf_session=t1;/);
    expect(setCookie).toMatch(/;\s*Secure/i);
    expect(setCookie).toMatch(/;\s*HttpOnly/i);
    expect(setCookie).toMatch(/;\s*Path=\//i);
    expect(setCookie).toMatch(/;\s*SameSite=lax/i);
    expect(setCookie).not.toMatch(/Domain=/i);
  });

  it("is cleared with the same name and attributes (a __Host- cookie cannot be deleted without Secure)", () => {
    vi.stubEnv("DASHBOARD_PUBLIC_URL", HTTPS.DASHBOARD_PUBLIC_URL);
    const setCookie = clearSession(NextResponse.json({})).headers.get("set-cookie") ?? "";
    expect(setCookie).toMatch(/^__Host-sf_session=;/);
    expect(setCookie).toMatch(/Max-Age=0/i);
    expect(setCookie).toMatch(/Secure/i);
    expect(setCookie).toMatch(/Path=\//i);
  });

  it("is not read under its plain name when the dashboard is https (a sibling host could plant that one)", async () => {
    vi.stubEnv("DASHBOARD_PUBLIC_URL", HTTPS.DASHBOARD_PUBLIC_URL);
    const res = await revokePost(post("/api/auth/sessions/revoke", undefined, { cookie: "sf_session=planted" }));
    expect(res.status).toBe(401);
    expect(fetchMock).not.toHaveBeenCalled();
  });
});

describe("sessions that end", () => {
  it("sign out everywhere calls POST /me/sessions/revoke and clears the cookie", async () => {
    fetchMock.mockResolvedValue(new Response(null, { status: 204 }));
    const res = await revokePost(post("/api/auth/sessions/revoke", undefined, { cookie: "sf_session=tok" }));
    expect(res.status).toBe(200);
    const [url, init] = fetchMock.mock.calls[0];
    expect(url).toMatch(/\/me\/sessions\/revoke$/);
    expect(init.method).toBe("POST");
    expect(init.headers.Authorization).toBe("Bearer tok");
    expect(res.headers.get("set-cookie")).toMatch(/^sf_session=;.*Max-Age=0/i);
  });

  it("sign out everywhere refuses a cross-site request", async () => {
    const res = await revokePost(post("/api/auth/sessions/revoke", undefined, { cookie: "sf_session=tok", "sec-fetch-site": "cross-site" }));
    expect(res.status).toBe(403);
    expect(fetchMock).not.toHaveBeenCalled();
  });

  it("a password change signs in again with the new password and replaces the cookie", async () => {
    fetchMock
      .mockResolvedValueOnce(json(200, { email: "ana@example.com", role: "tenant" }))
      .mockResolvedValueOnce(new Response(null, { status: 204 }))
      .mockResolvedValueOnce(json(200, { accessToken: "new-token", expiresAt: "2030-01-01T00:00:00Z" }));
    const res = await passwordPost(
      post("/api/auth/password", JSON.stringify({ currentPassword: "old-password-1", newPassword: "new-password-2" }), { cookie: "sf_session=old-token" }),
    );
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ passwordChanged: true, signedIn: true });
    const [meUrl, meInit] = fetchMock.mock.calls[0];
    expect(meUrl).toMatch(/\/me$/);
    expect(meInit.headers.Authorization).toBe("Bearer old-token");
    const [changeUrl, changeInit] = fetchMock.mock.calls[1];
    expect(changeUrl).toMatch(/\/me\/password$/);
    expect(changeInit.method).toBe("POST");
    expect(JSON.parse(changeInit.body)).toEqual({ currentPassword: "old-password-1", newPassword: "new-password-2" });
    const [loginUrl, loginInit] = fetchMock.mock.calls[2];
    expect(loginUrl).toMatch(/\/auth\/login$/);
    expect(JSON.parse(loginInit.body)).toEqual({ email: "ana@example.com", password: "new-password-2" });
    expect(res.headers.get("set-cookie")).toMatch(/^sf_session=new-token;/);
  });

  it("a refused password change passes the API's problem on and keeps the session", async () => {
    const problem = { status: 400, title: "Password not changed", detail: "The current password is wrong.", errors: { currentPassword: ["The current password is wrong."] } };
    fetchMock.mockResolvedValueOnce(json(200, { email: "ana@example.com" })).mockResolvedValueOnce(json(400, problem));
    const res = await passwordPost(post("/api/auth/password", JSON.stringify({ currentPassword: "x", newPassword: "new-password-2" }), { cookie: "sf_session=tok" }));
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual(problem);
    expect(res.headers.get("set-cookie")).toBeNull();
  });

  it("a stale token (401 from the API) drops the cookie", async () => {
    fetchMock.mockResolvedValueOnce(json(401, { title: "Unauthorized" }));
    const res = await passwordPost(post("/api/auth/password", JSON.stringify({ currentPassword: "x", newPassword: "y" }), { cookie: "sf_session=stale" }));
    expect(res.status).toBe(401);
    expect(res.headers.get("set-cookie")).toMatch(/^sf_session=;.*Max-Age=0/i);
  });
});

describe("the Content-Security-Policy", () => {
  const directives = (policy: string) => Object.fromEntries(policy.split(/;\s*/).map((d) => [d.split(" ")[0], d.split(" ").slice(1)]));

  it("allows scripts only with the response's nonce: no unsafe-inline, no unsafe-eval in production", () => {
    const d = directives(pagePolicy("abc123", { https: true, dev: false }));
    expect(d["script-src"]).toEqual(["'self'", "'nonce-abc123'", "'strict-dynamic'"]);
    expect(d["style-src"]).toEqual(["'self'", "'nonce-abc123'"]);
    expect(d["connect-src"]).toEqual(["'self'"]);
    expect(d["frame-ancestors"]).toEqual(["'none'"]);
    expect(d["object-src"]).toEqual(["'none'"]);
    expect(d["base-uri"]).toEqual(["'none'"]);
    expect(d["form-action"]).toEqual(["'self'"]);
    expect(d).toHaveProperty("upgrade-insecure-requests");
    expect(pagePolicy("abc123", { https: true, dev: false })).not.toMatch(/unsafe/);
  });

  it("does not upgrade requests on a plain-http dashboard", () => {
    expect(directives(pagePolicy("n", { https: false, dev: false }))).not.toHaveProperty("upgrade-insecure-requests");
  });

  it("gives every page response a fresh nonce, in the request for Next.js and in the response for the browser", () => {
    vi.stubEnv("DASHBOARD_PUBLIC_URL", HTTP.DASHBOARD_PUBLIC_URL);
    const a = proxy(new NextRequest("http://127.0.0.1:3000/stores"));
    const b = proxy(new NextRequest("http://127.0.0.1:3000/stores"));
    const policyA = a.headers.get("content-security-policy") ?? "";
    expect(policyA).toMatch(/script-src 'self' 'nonce-[A-Za-z0-9+/=]{24}' 'strict-dynamic'/);
    expect(policyA).not.toBe(b.headers.get("content-security-policy"));
    // NextResponse.next({ request: { headers } }) hands the request headers to the renderer this way.
    expect(a.headers.get("x-middleware-request-content-security-policy")).toBe(policyA);
    expect(a.headers.get("strict-transport-security")).toBeNull();
  });

  it("adds HSTS when the dashboard's public URL is https", () => {
    vi.stubEnv("DASHBOARD_PUBLIC_URL", HTTPS.DASHBOARD_PUBLIC_URL);
    const res = proxy(new NextRequest("https://app.storefleet.example.com/stores"));
    expect(res.headers.get("strict-transport-security")).toMatch(/^max-age=31536000/);
  });

  it("runs on pages but not on the route handlers, whose bodies Next.js would otherwise copy before the session check", () => {
    const matcher = new RegExp(`^${proxyConfig.matcher[0]}$`);
    for (const page of ["/", "/signin", "/stores", "/stores/abc", "/account", "/admin", "/nowhere"]) expect(matcher.test(page), page).toBe(true);
    for (const other of ["/api/sf/stores", "/api/auth/login", "/_next/static/chunks/main.js"]) expect(matcher.test(other), other).toBe(false);
  });

  it("uses 128-bit random nonces", () => {
    const nonces = new Set(Array.from({ length: 100 }, newNonce));
    expect(nonces.size).toBe(100);
    for (const n of nonces) expect(Buffer.from(n, "base64")).toHaveLength(16);
  });
});

describe("next.config.ts", () => {
  it("imports nothing from the app: the image runs `next start` with it but without the sources", async () => {
    const { readFileSync } = await import("node:fs");
    const source = readFileSync(new URL("../next.config.ts", import.meta.url), "utf8");
    const imports = [...source.matchAll(/^\s*import\s[^;]*?from\s+"([^"]+)"/gm)].map((m) => m[1]);
    expect(imports).toEqual(["next"]);
  });
});
