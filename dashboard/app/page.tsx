import { cookies } from "next/headers";
import { redirect } from "next/navigation";
import { sessionCookieName } from "@/lib/server/config";

export default async function Home() {
  redirect((await cookies()).has(sessionCookieName()) ? "/stores" : "/signin");
}
