import type { NextConfig } from "next";

// This file is evaluated at build time and loaded again by `next start` in the image, which ships
// without the sources: it imports nothing from the app. Pages get their CSP (with a nonce) and HSTS
// from proxy.ts; see lib/server/security-headers.ts.

/** Sent with every response, whatever the transport. */
const COMMON_HEADERS = [
  { key: "X-Content-Type-Options", value: "nosniff" },
  { key: "Referrer-Policy", value: "same-origin" },
  // frame-ancestors 'none' says the same to current browsers; this is for old ones.
  { key: "X-Frame-Options", value: "DENY" },
  { key: "Permissions-Policy", value: "camera=(), microphone=(), geolocation=(), payment=()" },
];

/** For responses that are never rendered as a page (JSON, scripts, styles): nothing may load or frame them. */
const NON_PAGE_POLICY = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

const config: NextConfig = {
  // The dashboard is a single Node process next to the API; no image optimisation or telemetry needed.
  poweredByHeader: false,
  reactStrictMode: true,
  images: { unoptimized: true },
  async headers() {
    // Evaluated at build time: nothing here may depend on the deployment (HSTS is set in proxy.ts).
    const nonPage = [{ key: "Content-Security-Policy", value: NON_PAGE_POLICY }];
    return [
      { source: "/:path*", headers: COMMON_HEADERS },
      { source: "/api/:path*", headers: nonPage },
      { source: "/_next/static/:path*", headers: nonPage },
    ];
  },
};

export default config;
