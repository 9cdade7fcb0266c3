import { cookies } from "next/headers";
import { redirect } from "next/navigation";
import { SESSION_COOKIE } from "@/lib/server/config";

export default async function Home() {
  redirect((await cookies()).has(SESSION_COOKIE) ? "/stores" : "/signin");
}
