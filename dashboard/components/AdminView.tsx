"use client";
import Link from "next/link";
import { useState, type FormEvent } from "react";
import { callApi } from "@/lib/client";
import { formatTime } from "@/lib/format";
import type { AdminStore, AuditEntry, ChartVersion, Page, Rollout } from "@/lib/types";
import { FleetUpgrades } from "./FleetUpgrades";
import { StatusBadge } from "./StatusBadge";

const STATUSES = ["", "Pending", "Provisioning", "Ready", "Error", "Deleting"];

function query(params: Record<string, string | null | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v) q.set(k, v);
  const s = q.toString();
  return s ? `?${s}` : "";
}

export function AdminView({
  initialStores,
  initialAudit,
  initialVersions = [],
  initialRollouts = [],
}: {
  initialStores: Page<AdminStore>;
  initialAudit: Page<AuditEntry>;
  initialVersions?: ChartVersion[];
  initialRollouts?: Rollout[];
}) {
  return (
    <>
      <h1>Platform administration</h1>
      <p className="small">
        Jump to: <a href="#fleet-upgrades">Fleet upgrades</a> · <a href="#all-stores">All stores</a> · <a href="#audit">Audit log</a>
      </p>
      <FleetUpgrades initialVersions={initialVersions} initialRollouts={initialRollouts} />
      <AllStores initial={initialStores} />
      <AuditLog initial={initialAudit} />
    </>
  );
}

function AllStores({ initial }: { initial: Page<AdminStore> }) {
  const [page, setPage] = useState(initial);
  const [status, setStatus] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  async function load(nextStatus: string, cursor: string | null) {
    setBusy(true);
    setError(null);
    const res = await callApi<Page<AdminStore>>(`/admin/stores${query({ limit: "50", status: nextStatus, cursor })}`);
    setBusy(false);
    if (!res.ok) return setError(res.explained.message);
    setPage((old) => (cursor ? { items: [...old.items, ...res.data.items], nextCursor: res.data.nextCursor } : res.data));
  }

  return (
    <section className="card" aria-labelledby="all-stores" aria-busy={busy}>
      <div className="spread">
        <h2 id="all-stores">All stores</h2>
        <div>
          <label htmlFor="status-filter" className="small">
            Status
          </label>
          <select
            id="status-filter"
            value={status}
            onChange={(e) => {
              setStatus(e.target.value);
              void load(e.target.value, null);
            }}
          >
            {STATUSES.map((s) => (
              <option key={s} value={s}>
                {s || "Any status"}
              </option>
            ))}
          </select>
        </div>
      </div>
      {error && (
        <p className="alert alert-error" role="alert">
          {error}
        </p>
      )}
      {page.items.length === 0 ? (
        <p className="empty">{status ? `No stores are ${status}.` : "No tenant has created a store yet."}</p>
      ) : (
        <div className="table-wrap" role="region" aria-label="All stores" tabIndex={0}>
          <table data-testid="admin-stores">
            <thead>
              <tr>
                <th scope="col">Store</th>
                <th scope="col">Owner</th>
                <th scope="col">Status</th>
                <th scope="col">Created</th>
                <th scope="col">Why</th>
              </tr>
            </thead>
            <tbody>
              {page.items.map(({ store, ownerEmail }) => (
                <tr key={store.id}>
                  <td>
                    {store.name}
                    <div className="small muted mono">{store.slug}</div>
                  </td>
                  <td>{ownerEmail}</td>
                  <td>
                    <StatusBadge status={store.status} />
                  </td>
                  <td className="nowrap">{formatTime(store.createdAt)}</td>
                  <td className="small">{store.status === "Error" ? store.message : ""}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {page.nextCursor && (
        <div className="form-actions">
          <button type="button" className="secondary" disabled={busy} onClick={() => load(status, page.nextCursor)}>
            {busy ? "Loading…" : "Load more stores"}
          </button>
        </div>
      )}
    </section>
  );
}

function AuditLog({ initial }: { initial: Page<AuditEntry> }) {
  const [page, setPage] = useState(initial);
  const [filters, setFilters] = useState({ action: "", actor: "" });
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  async function load(f: typeof filters, cursor: string | null) {
    setBusy(true);
    setError(null);
    const res = await callApi<Page<AuditEntry>>(`/admin/audit${query({ limit: "50", action: f.action.trim(), actor: f.actor.trim(), cursor })}`);
    setBusy(false);
    if (!res.ok) return setError(res.explained.message);
    setPage((old) => (cursor ? { items: [...old.items, ...res.data.items], nextCursor: res.data.nextCursor } : res.data));
  }

  function onFilter(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const data = new FormData(e.currentTarget);
    const f = { action: String(data.get("action") ?? ""), actor: String(data.get("actor") ?? "") };
    setFilters(f);
    void load(f, null);
  }

  return (
    <section className="card" aria-labelledby="audit" aria-busy={busy}>
      <h2 id="audit">Audit log</h2>
      <form className="inline-form" onSubmit={onFilter} aria-label="Filter the audit log">
        <div className="grow">
          <label htmlFor="audit-action" className="small">
            Action
          </label>
          <input id="audit-action" name="action" type="search" placeholder="e.g. store.delete" defaultValue={filters.action} />
        </div>
        <div className="grow">
          <label htmlFor="audit-actor" className="small">
            Actor (user id or email)
          </label>
          <input id="audit-actor" name="actor" type="search" defaultValue={filters.actor} />
        </div>
        <button type="submit" className="secondary align-end" disabled={busy}>
          Filter
        </button>
      </form>
      {error && (
        <p className="alert alert-error" role="alert">
          {error}
        </p>
      )}
      {page.items.length === 0 ? (
        <p className="empty">No audit entries match.</p>
      ) : (
        <div className="table-wrap spaced" role="region" aria-label="Audit log" tabIndex={0}>
          <table data-testid="audit-log">
            <thead>
              <tr>
                <th scope="col">Time</th>
                <th scope="col">Actor</th>
                <th scope="col">Action</th>
                <th scope="col">Target</th>
                <th scope="col">Outcome</th>
                <th scope="col">Source IP</th>
                <th scope="col">Detail</th>
              </tr>
            </thead>
            <tbody>
              {page.items.map((a) => (
                <tr key={a.id}>
                  <td className="nowrap">{formatTime(a.time)}</td>
                  <td>{a.actorEmail ?? a.actorId ?? "—"}</td>
                  <td className="mono">{a.action}</td>
                  <td>{a.targetName ?? a.targetId ?? "—"}</td>
                  <td>{a.outcome}</td>
                  <td className="mono">{a.sourceIp ?? "—"}</td>
                  <td className="small">{a.detail ?? ""}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {page.nextCursor && (
        <div className="form-actions">
          <button type="button" className="secondary" disabled={busy} onClick={() => load(filters, page.nextCursor)}>
            {busy ? "Loading…" : "Load older entries"}
          </button>
        </div>
      )}
      <p className="small muted">
        <Link href="/stores">Back to your stores</Link>
      </p>
    </section>
  );
}
