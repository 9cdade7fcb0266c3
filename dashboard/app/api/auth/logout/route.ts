import { NextResponse, type NextRequest } from "next/server";
import { crossSiteRefused, isCrossSite } from "@/lib/server/proxy";
import { clearSession } from "@/lib/server/session";

/** Signs out: the token is dropped from the browser (tokens are short-lived; the API keeps no session). */
export async function POST(req: NextRequest) {
  if (isCrossSite(req)) return crossSiteRefused();
  return clearSession(NextResponse.json({ signedOut: true }, { headers: { "Cache-Control": "no-store" } }));
}
