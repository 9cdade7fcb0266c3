"use client";
import { useState } from "react";

export function SignOutButton() {
  const [busy, setBusy] = useState(false);
  return (
    <button
      type="button"
      className="secondary"
      disabled={busy}
      onClick={async () => {
        setBusy(true);
        await fetch("/api/auth/logout", { method: "POST" }).catch(() => undefined);
        // A full load drops every piece of client state that belonged to the account.
        window.location.assign("/signin?reason=signed-out");
      }}
    >
      Sign out
    </button>
  );
}
