import type { Metadata } from "next";
import { ChangePasswordForm } from "@/components/ChangePasswordForm";
import { SignOutEverywhereButton } from "@/components/SignOutEverywhereButton";
import { getMe } from "@/lib/server/session";

export const metadata: Metadata = { title: "Account" };

export default async function AccountPage() {
  const me = await getMe();
  return (
    <>
      <h1>Your account</h1>
      <p>
        Signed in as <strong>{me.email}</strong>
        {me.role === "admin" ? " (administrator)" : ""}.
      </p>
      <ChangePasswordForm />
      <section className="card" aria-labelledby="sessions-heading">
        <h2 id="sessions-heading">Sessions</h2>
        <p>
          Signed in on a computer you no longer use, or think someone else has your password? Sign out everywhere ends every session of
          this account at once, this one included. Change your password too if it may be known.
        </p>
        <SignOutEverywhereButton />
      </section>
    </>
  );
}
