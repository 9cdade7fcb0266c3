"use client";

/** Shown when a page could not load its data (usually: the API is down). */
export default function PageError({ reset }: { error: Error & { digest?: string }; reset: () => void }) {
  return (
    <div className="alert alert-error" role="alert">
      <h1>This page could not be loaded</h1>
      <p>The Storefleet API did not answer as expected. It may be restarting; your stores are not affected.</p>
      <button type="button" onClick={() => reset()}>
        Try again
      </button>
    </div>
  );
}
