"use client";
import { useState } from "react";
import { callApi } from "@/lib/client";

/** Ends every session of this account, on every device, this one included. */
export function SignOutEverywhereButton() {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  return (
    <div>
      {error && (
        <div className="alert alert-error" role="alert">
          {error}
        </div>
      )}
      <button
        type="button"
        className="secondary"
        disabled={busy}
        aria-busy={busy || undefined}
        onClick={async () => {
          setBusy(true);
          setError(null);
          const result = await callApi("/api/auth/sessions/revoke", { method: "POST" });
          if (result.ok || result.status === 401) {
            // A full load drops every piece of client state that belonged to the account.
            window.location.assign("/signin?reason=signed-out-everywhere");
            return;
          }
          setBusy(false);
          setError(result.explained.message);
        }}
      >
        {busy ? "Signing out everywhere…" : "Sign out everywhere"}
      </button>
    </div>
  );
}
