"use client";
import { useRef, useState, type FormEvent } from "react";
import { callApi, sessionExpired } from "@/lib/client";
import { explainProblem, type Explained } from "@/lib/problem";
import { Field } from "./Field";

const FIELDS = ["currentPassword", "newPassword", "confirmPassword"];

/**
 * Changes the password. The API then refuses every earlier token; the dashboard signs in again with
 * the new one, so this browser stays signed in and every other device is signed out.
 */
export function ChangePasswordForm() {
  const formRef = useRef<HTMLFormElement>(null);
  const [submitting, setSubmitting] = useState(false);
  const [error, setError] = useState<Explained | null>(null);
  const [done, setDone] = useState(false);

  function focusProblem() {
    requestAnimationFrame(() => {
      const form = formRef.current;
      const invalid = form?.querySelector<HTMLElement>('[aria-invalid="true"]');
      (invalid ?? form?.querySelector<HTMLElement>("#password-error"))?.focus();
    });
  }

  async function onSubmit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    if (submitting) return;
    const form = e.currentTarget;
    const data = new FormData(form);
    const currentPassword = String(data.get("currentPassword") ?? "");
    const newPassword = String(data.get("newPassword") ?? "");
    setDone(false);
    if (newPassword !== String(data.get("confirmPassword") ?? "")) {
      setError(explainProblem({ status: 400, title: "The new passwords differ", errors: { confirmPassword: ["The two new passwords are not the same."] } }, 400, FIELDS));
      focusProblem();
      return;
    }
    setSubmitting(true);
    setError(null);
    const result = await callApi<{ signedIn?: boolean }>("/api/auth/password", {
      method: "POST",
      json: { currentPassword, newPassword },
      knownFields: FIELDS,
    });
    setSubmitting(false);
    if (result.ok) {
      // Changed but not signed in again (e.g. rate-limited): the old session is gone, so sign in anew.
      if (result.data.signedIn === false) {
        window.location.assign("/signin?reason=password-changed");
        return;
      }
      form.reset();
      setDone(true);
      return;
    }
    if (result.status === 401) {
      sessionExpired();
      return;
    }
    setError(result.explained);
    focusProblem();
  }

  const fieldErrors = error?.fieldErrors ?? {};
  const showSummary = error && !(error.kind === "validation" && Object.keys(fieldErrors).length > 0);
  return (
    <form ref={formRef} onSubmit={onSubmit} noValidate aria-labelledby="password-heading" className="card">
      <h2 id="password-heading">Change password</h2>
      {done && (
        <div className="alert alert-ok" role="status" data-testid="password-changed">
          Your password is changed. You stay signed in here; every other device and browser is signed out.
        </div>
      )}
      {showSummary && (
        <div className="alert alert-error" role="alert" id="password-error" tabIndex={-1}>
          {error.message}
        </div>
      )}
      <Field
        id="currentPassword"
        name="currentPassword"
        type="password"
        label="Current password"
        autoComplete="current-password"
        required
        errors={fieldErrors.currentPassword}
      />
      <Field
        id="newPassword"
        name="newPassword"
        type="password"
        label="New password"
        autoComplete="new-password"
        hint="At least 10 characters, with a letter and a digit."
        required
        errors={fieldErrors.newPassword}
      />
      <Field
        id="confirmPassword"
        name="confirmPassword"
        type="password"
        label="New password again"
        autoComplete="new-password"
        required
        errors={fieldErrors.confirmPassword}
      />
      <div className="form-actions">
        <button type="submit" disabled={submitting} aria-busy={submitting || undefined}>
          {submitting ? "Changing password…" : "Change password"}
        </button>
      </div>
    </form>
  );
}
