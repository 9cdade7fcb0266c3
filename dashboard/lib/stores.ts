import type { Quota, Store, StoreStatus } from "./types";

/** The stores a page shows, newest first, and whether older ones exist beyond what was loaded. */
export interface StoreList {
  items: Store[];
  /** True when every store of the account is in `items` (no further page). */
  complete: boolean;
}

/** A change to apply to the list: from the live stream, a poll, or the user's own action. */
export type StoreChange = { kind: "upsert"; store: Store } | { kind: "deleted"; id: string };

/** Newest first by creation time, then by id, as the API orders its pages. */
export function compareStores(a: Store, b: Store): number {
  if (a.createdAt !== b.createdAt) return a.createdAt < b.createdAt ? 1 : -1;
  return a.id < b.id ? 1 : a.id > b.id ? -1 : 0;
}

function isNewer(incoming: Store, current: Store): boolean {
  // Events can arrive out of order (a poll racing the stream): never let an older snapshot win.
  return incoming.updatedAt >= current.updatedAt;
}

/**
 * Applies a batch of changes in one pass and returns a new list (or the same object when nothing changed,
 * so React skips the render). Unchanged stores keep their object identity, so memoised rows do not re-render.
 */
export function applyChanges(list: StoreList, changes: StoreChange[]): StoreList {
  if (changes.length === 0) return list;
  const byId = new Map<string, Store | null>();
  for (const change of changes) {
    if (change.kind === "deleted") byId.set(change.id, null);
    else {
      const pending = byId.get(change.store.id);
      if (pending && !isNewer(change.store, pending)) continue;
      byId.set(change.store.id, change.store);
    }
  }
  let changed = false;
  const items: Store[] = [];
  for (const current of list.items) {
    if (!byId.has(current.id)) {
      items.push(current);
      continue;
    }
    const next = byId.get(current.id);
    byId.delete(current.id);
    if (next === null) {
      changed = true;
      continue;
    }
    if (next && next !== current && isNewer(next, current)) {
      items.push(next);
      changed = true;
    } else items.push(current);
  }
  // Stores we did not know yet (created in another tab, or by this form before the stream saw it).
  const oldestLoaded = items.length > 0 ? items[items.length - 1] : null;
  for (const store of byId.values()) {
    if (!store) continue;
    // Beyond the loaded pages the store belongs to a page not shown yet; it appears when that page loads.
    if (!list.complete && oldestLoaded && compareStores(store, oldestLoaded) > 0) continue;
    items.push(store);
    changed = true;
  }
  if (!changed) return list;
  items.sort(compareStores);
  return { items, complete: list.complete };
}

/** Replaces the list with a fresh snapshot (a poll), keeping identities of stores that did not change. */
export function replaceWith(list: StoreList, fresh: Store[], complete: boolean): StoreList {
  const known = new Map(list.items.map((s) => [s.id, s]));
  let changed = fresh.length !== list.items.length || complete !== list.complete;
  const items = fresh.map((store, i) => {
    const current = known.get(store.id);
    if (current && current.updatedAt === store.updatedAt && current.status === store.status) {
      if (list.items[i] !== current) changed = true;
      return current;
    }
    changed = true;
    return store;
  });
  return changed ? { items, complete } : list;
}

/** Stores that count against the quota: everything not being deleted (as the API counts). */
export function quotaUsed(items: Store[]): number {
  return items.reduce((n, s) => (s.status === "Deleting" ? n : n + 1), 0);
}

export function quotaFromList(list: StoreList, quota: Quota): Quota {
  return list.complete ? { used: quotaUsed(list.items), limit: quota.limit } : quota;
}

export const STATUS_TEXT: Record<StoreStatus, string> = {
  Pending: "Pending",
  Provisioning: "Provisioning",
  Ready: "Ready",
  Error: "Error",
  Deleting: "Deleting",
  Restoring: "Restoring",
};

/** What each status means, for screen readers and tooltips. */
export const STATUS_HELP: Record<StoreStatus, string> = {
  Pending: "Waiting for a provisioning worker",
  Provisioning: "Being set up; this takes a few minutes",
  Ready: "Up and running",
  Error: "Provisioning failed; see the reason and retry",
  Deleting: "Being deleted with everything it owns",
  Restoring: "A backup is being put back; the store is verified before it is Ready again",
};

/** Status changes worth announcing to screen-reader users (not every intermediate step). */
export function announcement(before: Store | undefined, after: Store): string | null {
  if (before && before.status === after.status) return null;
  if (after.status === "Ready") return `${after.name} is ready.`;
  if (after.status === "Error") return `${after.name} failed: ${after.message ?? "see the store for details"}.`;
  return null;
}
