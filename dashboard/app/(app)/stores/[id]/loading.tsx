export default function Loading() {
  return (
    <div aria-busy="true" aria-live="polite">
      <p className="muted">Loading the store…</p>
      <div className="skeleton" />
      <div className="skeleton skeleton-10" />
    </div>
  );
}
