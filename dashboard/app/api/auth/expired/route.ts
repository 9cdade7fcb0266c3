import { NextResponse, type NextRequest } from "next/server";
import { clearSession } from "@/lib/server/session";

/**
 * Where server-rendered pages send a user whose token the API refused: clears the cookie (server
 * components cannot) and shows the sign-in page with "Your session expired, sign in again".
 */
export function GET(req: NextRequest) {
  const url = new URL("/signin?reason=expired", req.url);
  return clearSession(NextResponse.redirect(url, 303));
}
