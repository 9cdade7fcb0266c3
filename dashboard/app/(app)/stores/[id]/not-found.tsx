import Link from "next/link";

export default function StoreNotFound() {
  return (
    <div className="card empty">
      <h1>Store not found</h1>
      <p>This store does not exist in your account, or it has been deleted.</p>
      <p>
        <Link href="/stores">Back to your stores</Link>
      </p>
    </div>
  );
}
