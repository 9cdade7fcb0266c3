import type { Metadata } from "next";
import Link from "next/link";
import { AuthForm } from "@/components/AuthForm";
import { PlatformBanner } from "@/components/PlatformBanner";

export const metadata: Metadata = { title: "Create an account" };

export default function SignUpPage() {
  return (
    <>
      <PlatformBanner />
      <main id="main" className="narrow" tabIndex={-1}>
        <h1>Create your Storefleet account</h1>
        <p className="muted">Then create a store by name and watch it come alive.</p>
        <div className="card">
          <AuthForm mode="signup" />
        </div>
        <p>
          Already have an account? <Link href="/signin">Sign in</Link>
        </p>
      </main>
    </>
  );
}
