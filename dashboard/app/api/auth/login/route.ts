import type { NextRequest } from "next/server";
import { readCredentials, signIn } from "@/lib/server/auth";
import { crossSiteRefused, isCrossSite, problemResponse } from "@/lib/server/proxy";

export async function POST(req: NextRequest) {
  if (isCrossSite(req)) return crossSiteRefused();
  const read = await readCredentials(req);
  if (!read.ok) return read.response;
  const body = read.body;
  if (!body) return problemResponse(400, "Invalid request", "Send your email and password.");
  return signIn(req, body.email, body.password);
}
