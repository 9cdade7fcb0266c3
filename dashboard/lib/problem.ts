import type { Problem } from "./types";

/** What a form shows for a failed request: one sentence for the whole form plus messages per field. */
export interface Explained {
  message: string;
  fieldErrors: Record<string, string[]>;
  /** Seconds to wait before trying again (429), when the API said so. */
  retryAfterSeconds?: number;
  kind: "validation" | "quota" | "rate-limit" | "conflict" | "auth" | "not-found" | "unavailable" | "other";
}

export function isProblem(value: unknown): value is Problem {
  return typeof value === "object" && value !== null && ("title" in value || "detail" in value || "status" in value);
}

/** Lower-cases the first letter of each field key so "Email" and "email" both land on the email field. */
function normaliseFields(errors: Record<string, string[]> | undefined): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  if (!errors) return out;
  for (const [key, messages] of Object.entries(errors)) {
    if (!Array.isArray(messages) || messages.length === 0) continue;
    const field = key.length > 0 ? key[0].toLowerCase() + key.slice(1) : key;
    out[field] = [...(out[field] ?? []), ...messages.map(String)];
  }
  return out;
}

/**
 * Turns an API problem into human words. The API's `detail` is already written for people, so it wins;
 * the fallbacks below only cover problems without one (a proxy error page, a crash).
 * `knownFields` are the fields the form can show errors next to; errors for other fields join the message.
 */
export function explainProblem(problem: Problem | null | undefined, status: number, knownFields: string[] = []): Explained {
  const p = problem ?? {};
  const code = p.status ?? status;
  const fieldErrors = normaliseFields(p.errors);
  const shown: Record<string, string[]> = {};
  const unplaced: string[] = [];
  for (const [field, messages] of Object.entries(fieldErrors)) {
    if (knownFields.includes(field)) shown[field] = messages;
    else unplaced.push(...messages);
  }

  if (code === 400 && Object.keys(fieldErrors).length > 0) {
    const lead = Object.keys(shown).length > 0 ? "Please correct the highlighted field." : (p.title ?? "The request is not valid.");
    const message = unplaced.length > 0 ? `${lead} ${unplaced.join(" ")}` : lead;
    return { kind: "validation", message, fieldErrors: shown };
  }
  if (code === 409 && (p.type ?? "").endsWith("quota-exceeded")) {
    const q = p.quota;
    const message =
      p.detail ??
      (q
        ? `You already have ${q.used} of ${q.limit} stores. Delete a store you no longer need, or ask an operator to raise your quota.`
        : "You have reached your store quota. Delete a store you no longer need, or ask an operator to raise your quota.");
    return { kind: "quota", message, fieldErrors: shown };
  }
  if (code === 429) {
    const seconds = typeof p.retryAfterSeconds === "number" ? p.retryAfterSeconds : undefined;
    const message = p.detail ?? `Too many requests. Wait ${seconds ?? "a few"} seconds and try again.`;
    return { kind: "rate-limit", message, fieldErrors: shown, retryAfterSeconds: seconds };
  }
  if (code === 401) {
    return { kind: "auth", message: p.detail ?? "Your session expired, sign in again.", fieldErrors: shown };
  }
  if (code === 404) {
    return { kind: "not-found", message: p.detail ?? "That was not found. It may have been deleted.", fieldErrors: shown };
  }
  if (code === 409 || code === 422) {
    return { kind: "conflict", message: p.detail ?? p.title ?? "The request conflicts with the current state. Reload and try again.", fieldErrors: shown };
  }
  if (code === 502 || code === 503 || code === 504 || code === 0) {
    return {
      kind: "unavailable",
      message: p.detail ?? "The Storefleet API cannot be reached right now. Try again in a moment.",
      fieldErrors: shown,
    };
  }
  const detail = p.detail ?? p.title ?? `Something went wrong (HTTP ${code}). Try again in a moment.`;
  return { kind: "other", message: unplaced.length ? `${detail} ${unplaced.join(" ")}` : detail, fieldErrors: shown };
}

/** A problem document for the dashboard's own route handlers (same shape the API uses). */
export function problem(status: number, title: string, detail: string, extra: Record<string, unknown> = {}): Problem {
  return { type: "about:blank", title, status, detail, ...extra };
}
