import Link from "next/link";
import { memo } from "react";
import { formatTime, timeAgo } from "@/lib/format";
import type { Store } from "@/lib/types";
import { StatusBadge } from "./StatusBadge";

/** One store in the list. Memoised: a live change to one store re-renders one row, not five hundred. */
export const StoreRow = memo(function StoreRow({ store, now }: { store: Store; now: number }) {
  return (
    <li className="store-item" data-store-id={store.id} data-status={store.status}>
      <Link className="name" href={`/stores/${store.id}`}>
        {store.name}
      </Link>
      <StatusBadge status={store.status} />
      <span className="meta">
        <span>
          Created{" "}
          <time dateTime={store.createdAt} title={formatTime(store.createdAt)} suppressHydrationWarning>
            {timeAgo(store.createdAt, now)}
          </time>
        </span>
        <span className="mono">{store.slug}</span>
      </span>
      {store.status === "Ready" && store.urls ? (
        <span className="links">
          <a href={store.urls.storefront} target="_blank" rel="noopener noreferrer">
            Storefront<span className="visually-hidden"> of {store.name} (opens in a new tab)</span>
          </a>
          <a href={store.urls.admin} target="_blank" rel="noopener noreferrer">
            Admin<span className="visually-hidden"> of {store.name} (opens in a new tab)</span>
          </a>
        </span>
      ) : (
        <span className="links" aria-hidden="true" />
      )}
      {store.status === "Error" && store.message && <p className="why">Why: {store.message}</p>}
    </li>
  );
});
