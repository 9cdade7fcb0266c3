import type { Metadata } from "next";
import Link from "next/link";
import { AuthForm } from "@/components/AuthForm";
import { PlatformBanner } from "@/components/PlatformBanner";

export const metadata: Metadata = { title: "Sign in" };

const NOTICES: Record<string, { text: string; tone: "info" | "error" | "ok" }> = {
  expired: { text: "Your session expired, sign in again.", tone: "error" },
  "signed-out": { text: "You are signed out.", tone: "info" },
  "signed-out-everywhere": { text: "You are signed out on every device.", tone: "info" },
  "password-changed": { text: "Your password is changed. Sign in with the new one.", tone: "ok" },
  registered: { text: "Your account is ready. Sign in to continue.", tone: "ok" },
};

export default async function SignInPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const params = await searchParams;
  const reason = typeof params.reason === "string" ? params.reason : "";
  const next = typeof params.next === "string" ? params.next : "";
  const notice = NOTICES[reason];
  return (
    <>
      <PlatformBanner />
      <main id="main" className="narrow" tabIndex={-1}>
        <h1>Sign in to Storefleet</h1>
        {notice && (
          <div className={`alert alert-${notice.tone}`} role={notice.tone === "error" ? "alert" : "status"}>
            {notice.text}
          </div>
        )}
        <div className="card">
          <AuthForm mode="signin" next={next} />
        </div>
        <p>
          New here? <Link href="/signup">Create an account</Link>
        </p>
      </main>
    </>
  );
}
