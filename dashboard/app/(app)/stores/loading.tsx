export default function Loading() {
  return (
    <div aria-busy="true" aria-live="polite">
      <h1>Your stores</h1>
      <p className="muted">Loading your stores…</p>
      <div className="skeleton" />
      <div className="skeleton" />
      <div className="skeleton" />
    </div>
  );
}
