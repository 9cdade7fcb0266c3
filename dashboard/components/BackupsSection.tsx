"use client";
import { useRouter } from "next/navigation";
import { useCallback, useEffect, useRef, useState } from "react";
import { callApi } from "@/lib/client";
import { formatBytes, formatTime } from "@/lib/format";
import { IdempotencyKeys } from "@/lib/idempotency";
import type { Backup, Store } from "@/lib/types";
import { confirmsName } from "./DeleteStoreDialog";

const KIND_TEXT: Record<string, string> = { manual: "Manual", scheduled: "Daily", "pre-upgrade": "Before upgrade" };

/**
 * The store's backups: the list, "Back up now", "Restore…" (the store's data is replaced, so the user types
 * its name first) and "Clone…" (a new store, at its own address, from a backup). Reloads whenever the
 * store changes (the engine writes the store with every backup step).
 */
export function BackupsSection({ store }: { store: Store }) {
  const router = useRouter();
  const [backups, setBackups] = useState<Backup[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [restoring, setRestoring] = useState<Backup | null>(null);
  const [cloning, setCloning] = useState<Backup | null>(null);
  const id = store.id;

  const load = useCallback(async () => {
    const res = await callApi<{ items: Backup[] }>(`/stores/${id}/backups`);
    if (res.ok) setBackups(Array.isArray(res.data?.items) ? res.data.items : []);
    else setError(res.explained.message);
  }, [id]);
  useEffect(() => {
    void load();
  }, [load, store.updatedAt]);

  async function backUpNow() {
    setBusy(true);
    setError(null);
    const res = await callApi<Backup>(`/stores/${id}/backups`, { method: "POST" });
    setBusy(false);
    if (res.ok) setBackups((old) => [res.data, ...(old ?? [])]);
    else setError(res.explained.message);
  }

  const running = store.status === "Ready" || (store.status === "Error" && store.urls !== null);
  const active = backups?.some((b) => b.state === "Pending" || b.state === "Running") ?? false;
  return (
    <section className="card" aria-labelledby="backups-heading" data-testid="backups">
      <div className="spread">
        <h2 id="backups-heading">Backups</h2>
        <button type="button" className="secondary" onClick={backUpNow} disabled={!running || active || busy} aria-busy={busy || undefined}>
          {active ? "Backup in progress…" : busy ? "Starting…" : "Back up now"}
        </button>
      </div>
      <p className="muted small">
        The database and wp-content, in the platform&apos;s object storage: daily, before every upgrade, and whenever you ask.
      </p>
      {error && (
        <p className="alert alert-error" role="alert">
          {error}
        </p>
      )}
      {backups === null ? (
        <p className="muted">Loading backups…</p>
      ) : backups.length === 0 ? (
        <p className="muted">No backups yet.</p>
      ) : (
        <table className="backups">
          <thead>
            <tr>
              <th scope="col">Taken</th>
              <th scope="col">Kind</th>
              <th scope="col">State</th>
              <th scope="col">Size</th>
              <th scope="col">
                <span className="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {backups.map((b) => (
              <tr key={b.id} data-state={b.state}>
                <td>
                  <time dateTime={b.createdAt} suppressHydrationWarning>
                    {formatTime(b.createdAt)}
                  </time>
                </td>
                <td>{KIND_TEXT[b.kind] ?? b.kind}</td>
                <td title={b.message || undefined}>
                  {b.state}
                  {b.state === "Failed" && b.message ? <div className="small field-error">{b.message}</div> : null}
                  {b.state === "Skipped" && b.message ? <div className="small muted">{b.message}</div> : null}
                </td>
                <td>{formatBytes(b.sizeBytes)}</td>
                <td>
                  {b.state === "Completed" && (
                    <span className="form-actions">
                      <button type="button" className="secondary" onClick={() => setRestoring(b)} disabled={!running}>
                        Restore…
                      </button>
                      <button type="button" className="secondary" onClick={() => setCloning(b)}>
                        Clone…
                      </button>
                    </span>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <RestoreDialog store={store} backup={restoring} onClose={() => setRestoring(null)} onDone={() => setRestoring(null)} />
      <CloneDialog
        store={store}
        backup={cloning}
        onClose={() => setCloning(null)}
        onDone={(created) => {
          setCloning(null);
          router.push(`/stores/${created.id}`);
        }}
      />
    </section>
  );
}

function useModal(open: boolean) {
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    if (open && !dialog.open) {
      if (typeof dialog.showModal === "function") dialog.showModal();
      else dialog.setAttribute("open", "");
    } else if (!open && dialog.open) dialog.close();
  }, [open]);
  return ref;
}

/** Restoring replaces everything the store has now: the user types the store's name first. */
export function RestoreDialog({ store, backup, onClose, onDone }: { store: Store; backup: Backup | null; onClose: () => void; onDone: () => void }) {
  const ref = useModal(backup !== null);
  const [typed, setTyped] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    setTyped("");
    setError(null);
  }, [backup]);
  const matches = confirmsName(typed, store.name);
  async function restore() {
    if (!backup) return;
    setBusy(true);
    const res = await callApi<Store>(`/stores/${store.id}/restore`, { method: "POST", json: { backupId: backup.id } });
    setBusy(false);
    if (res.ok) onDone();
    else setError(res.explained.message);
  }
  return (
    <dialog ref={ref} aria-labelledby="restore-title" onCancel={onClose} onClose={onClose}>
      <form
        method="dialog"
        onSubmit={(e) => {
          e.preventDefault();
          if (matches && !busy) void restore();
        }}
      >
        <h2 id="restore-title">Restore “{store.name}” from this backup?</h2>
        <p>
          Everything the store holds now — orders, customers, products, uploads since{" "}
          {backup ? formatTime(backup.createdAt) : "the backup"} — is replaced by the backup. The store is Restoring until it has
          been verified, then Ready again.
        </p>
        <label htmlFor="confirm-restore">
          Type <strong className="mono">{store.name}</strong> to confirm
        </label>
        <input id="confirm-restore" type="text" autoComplete="off" value={typed} onChange={(e) => setTyped(e.target.value)} />
        {error && (
          <p className="field-error" role="alert">
            {error}
          </p>
        )}
        <div className="form-actions">
          <button type="submit" className="danger" disabled={!matches || busy} aria-busy={busy || undefined}>
            {busy ? "Restoring…" : "Restore"}
          </button>
          <button type="button" className="secondary" onClick={onClose}>
            Cancel
          </button>
        </div>
      </form>
    </dialog>
  );
}

/** A new store of the same owner from the backup, at its own address; it counts in the quota. */
export function CloneDialog({ store, backup, onClose, onDone }: { store: Store; backup: Backup | null; onClose: () => void; onDone: (created: Store) => void }) {
  const ref = useModal(backup !== null);
  const keys = useRef(new IdempotencyKeys());
  const [name, setName] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    setName(`${store.name} copy`.slice(0, 40));
    setError(null);
  }, [backup, store.name]);
  async function clone() {
    if (!backup) return;
    setBusy(true);
    const res = await callApi<Store>("/stores", {
      method: "POST",
      json: { name, cloneFrom: { storeId: store.id, backupId: backup.id } },
      headers: { "Idempotency-Key": keys.current.keyFor(`${name}|${backup.id}`) },
      knownFields: ["name"],
    });
    setBusy(false);
    if (res.ok) onDone(res.data);
    else setError(res.explained.message);
  }
  return (
    <dialog ref={ref} aria-labelledby="clone-title" onCancel={onClose} onClose={onClose}>
      <form
        method="dialog"
        onSubmit={(e) => {
          e.preventDefault();
          if (name.trim() && !busy) void clone();
        }}
      >
        <h2 id="clone-title">Clone “{store.name}”</h2>
        <p>A new store with this backup&apos;s products, orders and content, at its own address. The original is not touched.</p>
        <label htmlFor="clone-name">Name of the new store</label>
        <input id="clone-name" type="text" autoComplete="off" maxLength={40} value={name} onChange={(e) => setName(e.target.value)} />
        {error && (
          <p className="field-error" role="alert">
            {error}
          </p>
        )}
        <div className="form-actions">
          <button type="submit" disabled={!name.trim() || busy} aria-busy={busy || undefined}>
            {busy ? "Cloning…" : "Create the copy"}
          </button>
          <button type="button" className="secondary" onClick={onClose}>
            Cancel
          </button>
        </div>
      </form>
    </dialog>
  );
}
