"use client";
import Link from "next/link";
import { useRouter } from "next/navigation";
import { useCallback, useEffect, useRef, useState } from "react";
import { callApi } from "@/lib/client";
import { formatTime, timeAgo } from "@/lib/format";
import { startLive, type LiveMode } from "@/lib/live";
import type { StoreChange } from "@/lib/stores";
import type { Credentials, Page, Store, StoreEvent } from "@/lib/types";
import { BackupsSection } from "./BackupsSection";
import { DeleteStoreDialog } from "./DeleteStoreDialog";
import { LiveIndicator } from "./LiveIndicator";
import { StatusBadge } from "./StatusBadge";
import { useNow } from "./useNow";

interface Props {
  initialStore: Store;
  initialEvents: StoreEvent[];
}

export function StoreDetail({ initialStore, initialEvents }: Props) {
  const router = useRouter();
  const [store, setStore] = useState(initialStore);
  const [events, setEvents] = useState(initialEvents);
  const [gone, setGone] = useState(false);
  const [mode, setMode] = useState<LiveMode>("connecting");
  const [creds, setCreds] = useState<Credentials | null>(null);
  const [credsError, setCredsError] = useState<string | null>(null);
  const [credsBusy, setCredsBusy] = useState(false);
  const [actionError, setActionError] = useState<string | null>(null);
  const [retrying, setRetrying] = useState(false);
  const [deleteOpen, setDeleteOpen] = useState(false);
  const [deleting, setDeleting] = useState(false);
  const [deleteError, setDeleteError] = useState<string | null>(null);
  const lastEventId = useRef(initialEvents.reduce((m, e) => Math.max(m, e.id), 0));
  const now = useNow();
  const id = initialStore.id;

  const loadEvents = useCallback(async () => {
    const res = await callApi<Page<StoreEvent>>(`/stores/${id}/events?after=${lastEventId.current}`);
    if (!res.ok || res.data.items.length === 0) return;
    const fresh = res.data.items.filter((e) => e.id > lastEventId.current);
    if (fresh.length === 0) return;
    lastEventId.current = Math.max(...fresh.map((e) => e.id));
    setEvents((old) => [...old, ...fresh]);
  }, [id]);

  const onChanges = useCallback(
    (changes: StoreChange[]) => {
      let touched = false;
      for (const c of changes) {
        if (c.kind === "deleted" && c.id === id) setGone(true);
        if (c.kind === "upsert" && c.store.id === id) {
          touched = true;
          setStore((s) => (c.store.updatedAt >= s.updatedAt ? c.store : s));
        }
      }
      if (touched) void loadEvents();
    },
    [id, loadEvents],
  );

  const poll = useCallback(async () => {
    const res = await callApi<Store>(`/stores/${id}`);
    if (res.ok) setStore((s) => (res.data.updatedAt >= s.updatedAt ? res.data : s));
    else if (res.status === 404) setGone(true);
    await loadEvents();
  }, [id, loadEvents]);

  useEffect(() => startLive({ url: "/api/sf/stores/events", onChanges, poll, onMode: setMode }), [onChanges, poll]);

  // The password belongs to a Ready store; hide it again if the store changes state.
  useEffect(() => {
    if (store.status !== "Ready") setCreds(null);
  }, [store.status]);

  async function revealPassword() {
    setCredsBusy(true);
    setCredsError(null);
    const res = await callApi<Credentials>(`/stores/${id}/credentials`);
    setCredsBusy(false);
    if (res.ok) setCreds(res.data);
    else setCredsError(res.explained.message);
  }

  async function retry() {
    setRetrying(true);
    setActionError(null);
    const res = await callApi<Store>(`/stores/${id}/retry`, { method: "POST" });
    setRetrying(false);
    if (res.ok) {
      setStore(res.data);
      void loadEvents();
    } else setActionError(res.explained.message);
  }

  async function confirmDelete() {
    setDeleting(true);
    setDeleteError(null);
    const res = await callApi<Store>(`/stores/${id}`, { method: "DELETE" });
    if (res.ok || res.status === 404) {
      setDeleteOpen(false);
      router.push(`/stores?deleted=${encodeURIComponent(store.name)}`);
      return;
    }
    setDeleting(false);
    setDeleteError(res.explained.message);
  }

  const newestFirst = [...events].sort((a, b) => b.id - a.id);
  return (
    <>
      <p className="small">
        <Link href="/stores">← All stores</Link>
      </p>
      <div className="detail-head">
        <h1>{store.name}</h1>
        <StatusBadge status={store.status} />
        <LiveIndicator mode={mode} />
      </div>

      {gone && (
        <div className="alert alert-info" role="status">
          This store has been deleted. <Link href="/stores">Back to your stores</Link>
        </div>
      )}

      {store.status === "Error" && (
        <div className="alert alert-error" role="alert">
          <p>
            <strong>Provisioning failed.</strong> {store.message ?? "See the conditions and events below for the reason."}
          </p>
          <button type="button" onClick={retry} disabled={retrying} aria-busy={retrying || undefined}>
            {retrying ? "Retrying…" : "Retry"}
          </button>
        </div>
      )}
      {store.status !== "Error" && store.message && store.status !== "Ready" && <p className="muted">{store.message}</p>}
      {actionError && (
        <p className="alert alert-error" role="alert">
          {actionError}
        </p>
      )}

      <section className="card" aria-labelledby="facts-heading">
        <h2 id="facts-heading">Overview</h2>
        <dl className="facts">
          <dt>Address</dt>
          <dd className="mono">{store.slug}</dd>
          <dt>Engine</dt>
          <dd>{store.engine}</dd>
          {store.chartVersion && (
            <>
              <dt>Chart version</dt>
              <dd data-testid="chart-version">
                {store.chartVersion}
                {store.targetChartVersion && <span className="small muted"> · upgrading to {store.targetChartVersion}</span>}
              </dd>
            </>
          )}
          <dt>Created</dt>
          <dd>
            <time dateTime={store.createdAt} suppressHydrationWarning>
              {formatTime(store.createdAt)}
            </time>
          </dd>
          <dt>Storefront</dt>
          <dd>
            {store.urls ? (
              <a href={store.urls.storefront} target="_blank" rel="noopener noreferrer" data-testid="storefront-url">
                {store.urls.storefront}
              </a>
            ) : (
              <span className="muted">Available once the store is Ready</span>
            )}
          </dd>
          <dt>Admin</dt>
          <dd>
            {store.urls ? (
              <a href={store.urls.admin} target="_blank" rel="noopener noreferrer" data-testid="admin-url">
                {store.urls.admin}
              </a>
            ) : (
              <span className="muted">Available once the store is Ready</span>
            )}
          </dd>
        </dl>
      </section>

      <section className="card" aria-labelledby="creds-heading">
        <h2 id="creds-heading">Admin sign-in</h2>
        {store.status !== "Ready" ? (
          <p className="muted">The WooCommerce admin password can be shown once the store is Ready.</p>
        ) : creds ? (
          <div className="stack" data-testid="credentials">
            <dl className="facts">
              <dt>Username</dt>
              <dd className="mono">{creds.username}</dd>
              <dt>Password</dt>
              <dd>
                <code className="secret" data-testid="admin-password">
                  {creds.password}
                </code>
              </dd>
              <dt>Sign in at</dt>
              <dd>
                <a href={creds.adminUrl} target="_blank" rel="noopener noreferrer">
                  {creds.adminUrl}
                </a>
              </dd>
            </dl>
            <button type="button" className="secondary" onClick={() => setCreds(null)}>
              Hide password
            </button>
          </div>
        ) : (
          <>
            <p className="muted small">Showing the password is recorded in the audit log.</p>
            <button type="button" className="secondary" onClick={revealPassword} disabled={credsBusy} aria-busy={credsBusy || undefined}>
              {credsBusy ? "Fetching…" : "Show admin password"}
            </button>
          </>
        )}
        {credsError && (
          <p className="alert alert-error" role="alert">
            {credsError}
          </p>
        )}
      </section>

      {!gone && <BackupsSection store={store} />}

      <section className="card" aria-labelledby="conditions-heading">
        <h2 id="conditions-heading">Conditions</h2>
        {store.conditions.length === 0 ? (
          <p className="muted">No conditions reported yet: a provisioning worker has not looked at this store.</p>
        ) : (
          <ul className="conditions-list" data-testid="conditions">
            {store.conditions.map((c) => (
              <li key={c.type}>
                <div className="spread">
                  <strong>{c.type}</strong>
                  <span className={`cond-${c.status}`}>
                    {c.status === "True" ? "✓ True" : c.status === "False" ? "✕ False" : `? ${c.status}`}
                  </span>
                </div>
                <div className="small">
                  <span className="mono">{c.reason}</span>
                  {c.message ? `: ${c.message}` : ""}
                </div>
                <div className="small muted">
                  Since{" "}
                  <time dateTime={c.lastTransitionTime} title={formatTime(c.lastTransitionTime)} suppressHydrationWarning>
                    {timeAgo(c.lastTransitionTime, now)}
                  </time>
                </div>
              </li>
            ))}
          </ul>
        )}
      </section>

      <section className="card" aria-labelledby="events-heading">
        <h2 id="events-heading">Events</h2>
        {newestFirst.length === 0 ? (
          <p className="muted">No events yet.</p>
        ) : (
          <ol className="timeline" data-testid="events" aria-label="Events, newest first">
            {newestFirst.map((e) => (
              <li key={e.id} className={e.type}>
                <div className="when">
                  <time dateTime={e.time} suppressHydrationWarning>
                    {formatTime(e.time)}
                  </time>
                </div>
                <div>
                  <span className={`tag tag-${e.type === "Warning" ? "Warning" : "Normal"}`}>{e.type}</span>
                  <span className="reason">{e.reason}</span>
                </div>
                <div className="small">{e.message}</div>
              </li>
            ))}
          </ol>
        )}
      </section>

      <section className="card" aria-labelledby="danger-heading">
        <h2 id="danger-heading">Delete this store</h2>
        <p className="muted small">Removes the shop and everything it owns. This cannot be undone.</p>
        <button
          type="button"
          className="danger"
          onClick={() => {
            setDeleteError(null);
            setDeleting(false);
            setDeleteOpen(true);
          }}
          disabled={store.status === "Deleting" || gone}
        >
          {store.status === "Deleting" ? "Deletion in progress" : "Delete store…"}
        </button>
      </section>
      <DeleteStoreDialog
        name={store.name}
        open={deleteOpen}
        busy={deleting}
        error={deleteError}
        onCancel={() => setDeleteOpen(false)}
        onConfirm={confirmDelete}
      />
    </>
  );
}
