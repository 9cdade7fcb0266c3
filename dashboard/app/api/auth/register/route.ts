import { NextResponse, type NextRequest } from "next/server";
import { apiUnreachable, crossSiteRefused, isCrossSite, problemResponse } from "@/lib/server/proxy";
import { passProblem, postToApi, readCredentials, signIn } from "@/lib/server/auth";

/** Creates the account, then signs straight in so a new tenant lands on their (empty) stores page. */
export async function POST(req: NextRequest) {
  if (isCrossSite(req)) return crossSiteRefused();
  const read = await readCredentials(req);
  if (!read.ok) return read.response;
  const body = read.body;
  if (!body) return problemResponse(400, "Invalid request", "Send an email and a password.");
  let answer;
  try {
    answer = await postToApi(req, "/auth/register", { email: body.email, password: body.password });
  } catch {
    return apiUnreachable();
  }
  if (answer.status !== 201) return passProblem(answer.status, answer.json, answer.retryAfter);
  const signedIn = await signIn(req, body.email, body.password, 201, { registered: true });
  // The account exists even if signing in failed (for example rate-limited): say so, and let them sign in.
  if (signedIn.status !== 201) return NextResponse.json({ registered: true, signedIn: false }, { status: 201 });
  return signedIn;
}
