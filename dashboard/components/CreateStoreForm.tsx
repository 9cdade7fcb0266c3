"use client";
import { useEffect, useRef, useState, type FormEvent } from "react";
import { callApi } from "@/lib/client";
import { IdempotencyKeys } from "@/lib/idempotency";
import type { Explained } from "@/lib/problem";
import type { Store } from "@/lib/types";

/**
 * Creates a store. The button is disabled while the request is in flight, and every submission of the
 * same name carries the same Idempotency-Key, so even a double click that slips through creates one store.
 */
export function CreateStoreForm({ onCreated }: { onCreated: (store: Store) => void }) {
  const keys = useRef(new IdempotencyKeys());
  const inFlight = useRef(false);
  const inputRef = useRef<HTMLInputElement>(null);
  const [name, setName] = useState("");
  const [submitting, setSubmitting] = useState(false);
  const [error, setError] = useState<Explained | null>(null);
  const [created, setCreated] = useState<string | null>(null);
  const [waitSeconds, setWaitSeconds] = useState(0);

  // After a rate-limit refusal the button stays off until the API says we may try again.
  useEffect(() => {
    if (waitSeconds <= 0) return;
    const t = setTimeout(() => setWaitSeconds((s) => s - 1), 1000);
    return () => clearTimeout(t);
  }, [waitSeconds]);

  async function onSubmit(e: FormEvent) {
    e.preventDefault();
    if (inFlight.current) return;
    inFlight.current = true;
    setSubmitting(true);
    setError(null);
    setCreated(null);
    const result = await callApi<Store>("/stores", {
      method: "POST",
      json: { name },
      headers: { "Idempotency-Key": keys.current.keyFor(name) },
      knownFields: ["name"],
    });
    inFlight.current = false;
    setSubmitting(false);
    if (result.ok) {
      keys.current.reset();
      setName("");
      setCreated(result.data.name);
      onCreated(result.data);
      return;
    }
    setError(result.explained);
    if (result.explained.retryAfterSeconds) setWaitSeconds(result.explained.retryAfterSeconds);
    if (result.explained.fieldErrors.name) requestAnimationFrame(() => inputRef.current?.focus());
  }

  const nameErrors = error?.fieldErrors.name;
  const describedBy = ["store-name-hint", nameErrors ? "store-name-error" : ""].filter(Boolean).join(" ");
  const summary = error && !(error.kind === "validation" && nameErrors);
  return (
    <form onSubmit={onSubmit} noValidate aria-labelledby="create-heading" className="card">
      <h2 id="create-heading">Create a store</h2>
      <label htmlFor="store-name">Store name</label>
      <p className="hint" id="store-name-hint">
        3 to 40 characters: letters, digits, spaces and hyphens. The web address is derived from it.
      </p>
      <div className="inline-form">
        <div className="grow">
          <input
            ref={inputRef}
            id="store-name"
            name="name"
            type="text"
            autoComplete="off"
            value={name}
            onChange={(e) => setName(e.target.value)}
            aria-describedby={describedBy}
            aria-invalid={nameErrors ? true : undefined}
          />
          {nameErrors && (
            <p className="field-error" id="store-name-error">
              {nameErrors.join(" ")}
            </p>
          )}
        </div>
        <button type="submit" disabled={submitting || waitSeconds > 0} aria-busy={submitting || undefined}>
          {submitting ? "Creating…" : "Create store"}
        </button>
      </div>
      {summary && (
        <div className="alert alert-error" role="alert" data-testid="create-error">
          <p>{error.message}</p>
          {waitSeconds > 0 && <p>You can try again in {waitSeconds} s.</p>}
        </div>
      )}
      <div role="status" aria-live="polite">
        {created && (
          <p className="alert alert-ok">
            Store “{created}” requested. It appears below and goes live in a few minutes; no need to reload.
          </p>
        )}
      </div>
    </form>
  );
}
