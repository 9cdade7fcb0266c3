import { describe, expect, it } from "vitest";
import { announcement, applyChanges, quotaFromList, quotaUsed, replaceWith, type StoreList } from "@/lib/stores";
import type { Store } from "@/lib/types";

function store(id: string, over: Partial<Store> = {}): Store {
  return {
    id,
    name: `Store ${id}`,
    slug: `store-${id}`,
    engine: "woocommerce",
    status: "Pending",
    message: null,
    conditions: [],
    urls: null,
    createdAt: `2026-01-01T00:00:${id.padStart(2, "0")}Z`,
    updatedAt: `2026-01-01T00:00:${id.padStart(2, "0")}Z`,
    ...over,
  };
}

const list = (items: Store[], complete = true): StoreList => ({ items, complete });

describe("applyChanges", () => {
  it("updates a store in place and keeps the others' identity (so memoised rows skip rendering)", () => {
    const a = store("1");
    const b = store("2");
    const next = applyChanges(list([b, a]), [{ kind: "upsert", store: { ...a, status: "Ready", updatedAt: "2026-01-01T00:01:00Z" } }]);
    expect(next.items.map((s) => s.status)).toEqual(["Pending", "Ready"]);
    expect(next.items[0]).toBe(b);
  });

  it("inserts a new store in newest-first order", () => {
    const next = applyChanges(list([store("3"), store("1")]), [{ kind: "upsert", store: store("2") }]);
    expect(next.items.map((s) => s.id)).toEqual(["3", "2", "1"]);
  });

  it("removes a deleted store", () => {
    const next = applyChanges(list([store("2"), store("1")]), [{ kind: "deleted", id: "2" }]);
    expect(next.items.map((s) => s.id)).toEqual(["1"]);
  });

  it("never lets an older snapshot overwrite a newer one", () => {
    const ready = store("1", { status: "Ready", updatedAt: "2026-01-01T00:05:00Z" });
    const stale = store("1", { status: "Provisioning", updatedAt: "2026-01-01T00:04:00Z" });
    const l = list([ready]);
    expect(applyChanges(l, [{ kind: "upsert", store: stale }])).toBe(l);
    const both = applyChanges(list([store("1")]), [
      { kind: "upsert", store: ready },
      { kind: "upsert", store: stale },
    ]);
    expect(both.items[0].status).toBe("Ready");
  });

  it("returns the same list when nothing changed, so React does not render", () => {
    const l = list([store("1")]);
    expect(applyChanges(l, [])).toBe(l);
    expect(applyChanges(l, [{ kind: "deleted", id: "nope" }])).toBe(l);
  });

  it("does not insert stores older than the loaded page when more pages exist", () => {
    const l = list([store("5"), store("4")], false);
    const next = applyChanges(l, [{ kind: "upsert", store: store("1") }]);
    expect(next).toBe(l);
    expect(applyChanges(l, [{ kind: "upsert", store: store("6") }]).items.map((s) => s.id)).toEqual(["6", "5", "4"]);
  });

  it("applies a burst of 100 changes to 500 stores in one pass", () => {
    const items = Array.from({ length: 500 }, (_, i) => store(String(i).padStart(3, "0"), { createdAt: new Date(Date.UTC(2026, 0, 1, 0, 0, 500 - i)).toISOString() }));
    const changes = items.slice(0, 100).map((s) => ({ kind: "upsert" as const, store: { ...s, status: "Ready" as const, updatedAt: "2026-02-01T00:00:00Z" } }));
    const started = performance.now();
    const next = applyChanges(list(items), changes);
    expect(performance.now() - started).toBeLessThan(50);
    expect(next.items.filter((s) => s.status === "Ready")).toHaveLength(100);
    expect(next.items[499]).toBe(items[499]);
  });
});

describe("replaceWith", () => {
  it("keeps the list object when a poll brings nothing new", () => {
    const a = store("1");
    const l = list([a]);
    expect(replaceWith(l, [{ ...a }], true)).toBe(l);
  });

  it("drops stores the poll no longer returns", () => {
    const next = replaceWith(list([store("2"), store("1")]), [store("1")], true);
    expect(next.items.map((s) => s.id)).toEqual(["1"]);
  });
});

describe("quota", () => {
  it("counts every store except those being deleted, as the API does", () => {
    expect(quotaUsed([store("1"), store("2", { status: "Deleting" }), store("3", { status: "Error" })])).toBe(2);
  });

  it("trusts the list only when it is complete", () => {
    expect(quotaFromList(list([store("1")], true), { used: 5, limit: 5 })).toEqual({ used: 1, limit: 5 });
    expect(quotaFromList(list([store("1")], false), { used: 5, limit: 5 })).toEqual({ used: 5, limit: 5 });
  });
});

describe("announcement", () => {
  it("announces Ready and Error, not every step", () => {
    expect(announcement(store("1"), store("1", { status: "Ready" }))).toBe("Store 1 is ready.");
    expect(announcement(store("1"), store("1", { status: "Error", message: "Setup job failed" }))).toBe("Store 1 failed: Setup job failed.");
    expect(announcement(store("1"), store("1", { status: "Provisioning" }))).toBeNull();
    expect(announcement(store("1", { status: "Ready" }), store("1", { status: "Ready" }))).toBeNull();
  });
});
