import { act, cleanup, fireEvent, render, screen, waitFor } from "@testing-library/react";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { Backup, Store } from "@/lib/types";

const router = { push: vi.fn(), replace: vi.fn(), refresh: vi.fn() };
vi.mock("next/navigation", () => ({ useRouter: () => router, usePathname: () => "/stores" }));

import { BackupsSection } from "@/components/BackupsSection";
import { formatBytes } from "@/lib/format";

const store: Store = {
  id: "01a2150d-b924-74d4-b9ce-c1ece9d510b7",
  name: "Ana Bakery",
  slug: "ana-bakery",
  engine: "woocommerce",
  status: "Ready",
  message: null,
  conditions: [],
  urls: { storefront: "http://ana.example", admin: "http://ana.example/wp-admin" },
  createdAt: "2026-01-01T00:00:00Z",
  updatedAt: "2026-01-01T00:00:00Z",
};
const done: Backup = {
  id: "01a23111-ad46-7fc6-b82f-022fb2caa5b8", state: "Completed", createdAt: "2026-01-02T01:00:00Z", completedAt: "2026-01-02T01:01:00Z",
  sizeBytes: 27_600_000, kind: "scheduled", message: "",
};
const failed: Backup = { ...done, id: "01a23111-ad46-7fc6-b82f-022fb2caa5b9", state: "Failed", sizeBytes: null, kind: "manual", message: "backup FAILED: upload — 403" };
const skipped: Backup = {
  ...done, id: "01a23111-ad46-7fc6-b82f-022fb2caa5ba", state: "Skipped", sizeBytes: null, kind: "pre-upgrade",
  message: "The store's chart has no backup template (CronJob store-ana-bakery-backup): it is from before backups; a chart version with backups brings it.",
};

function json(status: number, body: unknown) {
  return new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });
}

let fetchMock: ReturnType<typeof vi.fn>;
beforeEach(() => {
  fetchMock = vi.fn(async (url: string, init?: RequestInit) => {
    if (url.endsWith("/backups") && init?.method === "POST") return json(202, { ...done, id: "new", state: "Pending", sizeBytes: null, kind: "manual" });
    if (url.endsWith("/backups")) return json(200, { items: [done, failed, skipped] });
    if (url.endsWith("/restore")) return json(202, { ...store, status: "Restoring" });
    if (url.endsWith("/stores") && init?.method === "POST") return json(202, { ...store, id: "clone-id", name: "Ana Bakery copy" });
    return json(404, { title: "Not found", status: 404 });
  });
  vi.stubGlobal("fetch", fetchMock);
});
afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
  vi.clearAllMocks();
});

const calls = (suffix: string) => fetchMock.mock.calls.filter(([url, init]) => String(url).endsWith(suffix) && (init as RequestInit)?.method === "POST");

describe("BackupsSection", () => {
  it("lists the backups with their kind, state, size and why one failed", async () => {
    render(<BackupsSection store={store} />);
    await screen.findByText("Daily");
    expect(screen.getByText("27.6 MB")).toBeTruthy();
    expect(screen.getByText("backup FAILED: upload — 403")).toBeTruthy();
    // A skipped pre-upgrade backup says so and why, without looking like an error.
    expect(screen.getByText("Skipped")).toBeTruthy();
    expect(screen.getByText(/has no backup template/).className).not.toContain("field-error");
    // Only a completed backup can be restored or cloned.
    expect(screen.getAllByRole("button", { name: "Restore…" })).toHaveLength(1);
  });

  it("backs up now and shows the new backup at the top, once", async () => {
    render(<BackupsSection store={store} />);
    await screen.findByText("Daily");
    await act(async () => fireEvent.click(screen.getByRole("button", { name: "Back up now" })));
    expect(calls("/backups")).toHaveLength(1);
    expect(screen.getByRole("button", { name: "Backup in progress…" })).toHaveProperty("disabled", true);
  });

  it("restores only after the store's name is typed", async () => {
    render(<BackupsSection store={store} />);
    await screen.findByText("Daily");
    await act(async () => fireEvent.click(screen.getByRole("button", { name: "Restore…" })));
    const submit = screen.getByRole("button", { name: "Restore", hidden: true });
    expect(submit).toHaveProperty("disabled", true);
    fireEvent.change(screen.getByLabelText(/to confirm/), { target: { value: "Ana" } });
    expect(submit).toHaveProperty("disabled", true);
    fireEvent.change(screen.getByLabelText(/to confirm/), { target: { value: "Ana Bakery" } });
    await act(async () => fireEvent.click(submit));
    const [, init] = calls("/restore")[0];
    expect(JSON.parse(String((init as RequestInit).body))).toEqual({ backupId: done.id });
  });

  it("clones into a new store with an Idempotency-Key and opens it", async () => {
    render(<BackupsSection store={store} />);
    await screen.findByText("Daily");
    await act(async () => fireEvent.click(screen.getByRole("button", { name: "Clone…" })));
    await act(async () => fireEvent.click(screen.getByRole("button", { name: "Create the copy", hidden: true })));
    const [, init] = calls("/stores")[0];
    const request = init as RequestInit;
    expect(JSON.parse(String(request.body))).toEqual({ name: "Ana Bakery copy", cloneFrom: { storeId: store.id, backupId: done.id } });
    expect((request.headers as Record<string, string>)["Idempotency-Key"]).toBeTruthy();
    await waitFor(() => expect(router.push).toHaveBeenCalledWith("/stores/clone-id"));
  });

  it("formats sizes for people", () => {
    expect(formatBytes(null)).toBe("—");
    expect(formatBytes(512)).toBe("512 B");
    expect(formatBytes(27_600_000)).toBe("27.6 MB");
  });
});
