"use client";

export default function RootError({ reset }: { error: Error & { digest?: string }; reset: () => void }) {
  return (
    <main id="main" className="narrow">
      <div className="alert alert-error" role="alert">
        <h1>Something went wrong</h1>
        <p>The dashboard could not reach the Storefleet API. Try again in a moment.</p>
        <button type="button" onClick={() => reset()}>
          Try again
        </button>
      </div>
    </main>
  );
}
