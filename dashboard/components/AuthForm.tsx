"use client";
import Link from "next/link";
import { useRouter } from "next/navigation";
import { useRef, useState, type FormEvent } from "react";
import { callApi } from "@/lib/client";
import type { Explained } from "@/lib/problem";
import { safeNext } from "@/lib/safe-next";
import { Field } from "./Field";

const FIELDS = ["email", "password"];

export { safeNext };

export function AuthForm({ mode, next }: { mode: "signin" | "signup"; next?: string }) {
  const router = useRouter();
  const [submitting, setSubmitting] = useState(false);
  const [error, setError] = useState<Explained | null>(null);
  const formRef = useRef<HTMLFormElement>(null);
  const signup = mode === "signup";

  async function onSubmit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    if (submitting) return;
    const data = new FormData(e.currentTarget);
    setSubmitting(true);
    setError(null);
    const result = await callApi<{ signedIn?: boolean }>(signup ? "/api/auth/register" : "/api/auth/login", {
      method: "POST",
      json: { email: String(data.get("email") ?? ""), password: String(data.get("password") ?? "") },
      knownFields: FIELDS,
    });
    if (result.ok) {
      if (result.data.signedIn === false) router.replace("/signin?reason=registered");
      else router.replace(safeNext(next));
      router.refresh();
      return;
    }
    setSubmitting(false);
    setError(result.explained);
    // Put the keyboard where the problem is: the first refused field, or the message.
    requestAnimationFrame(() => {
      const form = formRef.current;
      const invalid = form?.querySelector<HTMLElement>('[aria-invalid="true"]');
      (invalid ?? form?.querySelector<HTMLElement>("#auth-error"))?.focus();
    });
  }

  const fieldErrors = error?.fieldErrors ?? {};
  const showSummary = error && !(error.kind === "validation" && Object.keys(fieldErrors).length > 0);
  return (
    <form ref={formRef} onSubmit={onSubmit} noValidate aria-label={signup ? "Create account" : "Sign in"}>
      {showSummary && (
        <div className="alert alert-error" role="alert" id="auth-error" tabIndex={-1}>
          <p>{error.message}</p>
          {signup && error.kind === "conflict" && (
            <p>
              <Link href="/signin">Sign in instead</Link>
            </p>
          )}
        </div>
      )}
      <Field id="email" name="email" type="email" label="Email" autoComplete="email" required errors={fieldErrors.email} />
      <Field
        id="password"
        name="password"
        type="password"
        label="Password"
        autoComplete={signup ? "new-password" : "current-password"}
        hint={signup ? "At least 10 characters, with a letter and a digit." : undefined}
        required
        errors={fieldErrors.password}
      />
      <div className="form-actions">
        <button type="submit" disabled={submitting} aria-busy={submitting || undefined}>
          {submitting ? (signup ? "Creating account…" : "Signing in…") : signup ? "Create account" : "Sign in"}
        </button>
      </div>
    </form>
  );
}
