import type { NextConfig } from "next";
import { COMMON_HEADERS, NON_PAGE_POLICY } from "./lib/server/security-headers";

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
