"use client";
import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import { callApi } from "@/lib/client";
import { startLive, type LiveMode } from "@/lib/live";
import { announcement, applyChanges, quotaFromList, replaceWith, type StoreChange, type StoreList } from "@/lib/stores";
import type { Me, Page, Quota, Store } from "@/lib/types";
import { CreateStoreForm } from "./CreateStoreForm";
import { LiveIndicator } from "./LiveIndicator";
import { QuotaMeter } from "./QuotaMeter";
import { StoreRow } from "./StoreRow";
import { useNow } from "./useNow";

interface Props {
  initialStores: Store[];
  complete: boolean;
  quota: Quota;
  notice?: string;
}

/** The tenant's stores, kept current by the live stream (or polling while the stream is down). */
export function StoresView({ initialStores, complete, quota: initialQuota, notice }: Props) {
  const [list, setList] = useState<StoreList>({ items: initialStores, complete });
  const [quota, setQuota] = useState(initialQuota);
  const [mode, setMode] = useState<LiveMode>("connecting");
  const [said, setSaid] = useState("");
  // The list as last rendered, to tell which changes are worth announcing (read in callbacks, not render).
  const listRef = useRef(list);
  useEffect(() => {
    listRef.current = list;
  }, [list]);
  const now = useNow();

  const apply = useCallback((changes: StoreChange[]) => {
    const before = new Map(listRef.current.items.map((s) => [s.id, s]));
    let message: string | null = null;
    for (const c of changes) if (c.kind === "upsert") message = announcement(before.get(c.store.id), c.store) ?? message;
    if (message) setSaid(message);
    setList((l) => applyChanges(l, changes));
  }, []);

  const refresh = useCallback(async () => {
    const [stores, me] = await Promise.all([callApi<Page<Store>>("/stores?limit=100"), callApi<Me>("/me")]);
    if (stores.ok) {
      const page = stores.data;
      if (page.nextCursor === null) setList((l) => replaceWith(l, page.items, true));
      else setList((l) => applyChanges(l, page.items.map((store) => ({ kind: "upsert", store }))));
    }
    if (me.ok) setQuota(me.data.quota);
  }, []);

  useEffect(() => startLive({ url: "/api/sf/stores/events", onChanges: apply, poll: refresh, onMode: setMode }), [apply, refresh]);

  const shownQuota = useMemo(() => quotaFromList(list, quota), [list, quota]);
  const onCreated = useCallback((store: Store) => apply([{ kind: "upsert", store }]), [apply]);

  return (
    <>
      <div className="spread">
        <h1>Your stores</h1>
        <LiveIndicator mode={mode} />
      </div>
      {notice && (
        <p className="alert alert-info" role="status">
          {notice}
        </p>
      )}
      <div className="card row between">
        <QuotaMeter quota={shownQuota} />
        <p className="small muted flush">
          Each store is its own WooCommerce shop with its own database.
        </p>
      </div>
      <CreateStoreForm onCreated={onCreated} />
      <section aria-labelledby="list-heading">
        <h2 id="list-heading">
          Stores <span className="muted small">({list.items.length})</span>
        </h2>
        {list.items.length === 0 ? (
          <div className="card empty" data-testid="empty-stores">
            <p>
              <strong>You have no stores yet.</strong>
            </p>
            <p>Create your first one with the form above; it will appear here and go live without a reload.</p>
          </div>
        ) : (
          <ul className="store-list" aria-label="Your stores" data-testid="store-list">
            {list.items.map((s) => (
              <StoreRow key={s.id} store={s} now={now} />
            ))}
          </ul>
        )}
        {!list.complete && <p className="muted small">Showing your {list.items.length} newest stores.</p>}
      </section>
      <div className="visually-hidden" role="status" aria-live="polite">
        {said}
      </div>
    </>
  );
}
