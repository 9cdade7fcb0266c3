export default function Loading() {
  return (
    <div aria-busy="true" aria-live="polite">
      <h1>Platform administration</h1>
      <p className="muted">Loading all stores and the audit log…</p>
      <div className="skeleton skeleton-12" />
    </div>
  );
}
