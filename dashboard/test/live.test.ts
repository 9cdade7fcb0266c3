import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { createBatcher, parseChange, startLive, type LiveMode } from "@/lib/live";
import type { StoreChange } from "@/lib/stores";

/** A hand-written EventSource the tests can drive. */
class FakeEventSource {
  static instances: FakeEventSource[] = [];
  readyState = 0;
  onopen: (() => void) | null = null;
  onerror: (() => void) | null = null;
  closed = false;
  private listeners = new Map<string, ((e: MessageEvent) => void)[]>();
  constructor(public url: string) {
    FakeEventSource.instances.push(this);
  }
  addEventListener(type: string, fn: (e: MessageEvent) => void) {
    this.listeners.set(type, [...(this.listeners.get(type) ?? []), fn]);
  }
  close() {
    this.closed = true;
    this.readyState = 2;
  }
  open() {
    this.readyState = 1;
    this.onopen?.();
  }
  emit(type: string, data: string) {
    for (const fn of this.listeners.get(type) ?? []) fn(new MessageEvent(type, { data }));
  }
  fail(readyState: 0 | 2) {
    this.readyState = readyState;
    this.onerror?.();
  }
}

const storeJson = (id: string, status = "Ready") => JSON.stringify({ id, name: `S ${id}`, status, updatedAt: "2026-01-01T00:00:00Z" });

describe("parseChange", () => {
  it("reads store and deleted events", () => {
    expect(parseChange("store", storeJson("a"))).toMatchObject({ kind: "upsert", store: { id: "a", status: "Ready" } });
    expect(parseChange("deleted", '{"id":"a"}')).toEqual({ kind: "deleted", id: "a" });
  });
  it("ignores malformed messages instead of breaking the page", () => {
    expect(parseChange("store", "not json")).toBeNull();
    expect(parseChange("store", '{"id":1}')).toBeNull();
    expect(parseChange("deleted", "{}")).toBeNull();
    expect(parseChange("other", storeJson("a"))).toBeNull();
  });
});

describe("createBatcher", () => {
  it("delivers a burst as one batch", () => {
    const batches: StoreChange[][] = [];
    let scheduled: (() => void) | null = null;
    const b = createBatcher((c) => batches.push(c), (f) => (scheduled = f));
    for (let i = 0; i < 100; i++) b.push({ kind: "deleted", id: String(i) });
    expect(batches).toHaveLength(0);
    scheduled!();
    expect(batches).toHaveLength(1);
    expect(batches[0]).toHaveLength(100);
  });
});

describe("startLive", () => {
  beforeEach(() => {
    FakeEventSource.instances = [];
    vi.useFakeTimers();
  });
  afterEach(() => vi.useRealTimers());

  function start() {
    const modes: LiveMode[] = [];
    const batches: StoreChange[][] = [];
    const poll = vi.fn(async () => {});
    const stop = startLive({
      url: "/api/sf/stores/events",
      onChanges: (c) => batches.push(c),
      poll,
      onMode: (m) => modes.push(m),
      pollIntervalMs: 1000,
      reconnectDelaysMs: [2000, 4000],
      createEventSource: (u) => new FakeEventSource(u) as unknown as EventSource,
      schedule: (f) => f(),
    });
    return { modes, batches, poll, stop, es: () => FakeEventSource.instances[FakeEventSource.instances.length - 1] };
  }

  it("goes live on open and refreshes once to close the gap", () => {
    const t = start();
    expect(t.modes).toEqual(["connecting"]);
    t.es().open();
    expect(t.modes).toEqual(["connecting", "live"]);
    expect(t.poll).toHaveBeenCalledTimes(1);
    t.es().emit("store", storeJson("a"));
    t.es().emit("deleted", '{"id":"b"}');
    expect(t.batches.flat()).toEqual([
      { kind: "upsert", store: expect.objectContaining({ id: "a" }) },
      { kind: "deleted", id: "b" },
    ]);
    t.stop();
  });

  it("polls while the stream reconnects by itself after a network error", () => {
    const t = start();
    t.es().open();
    t.es().fail(0);
    expect(t.modes.at(-1)).toBe("polling");
    vi.advanceTimersByTime(3000);
    expect(t.poll).toHaveBeenCalledTimes(1 + 3);
    expect(FakeEventSource.instances).toHaveLength(1); // EventSource retries on its own
    t.es().open();
    expect(t.modes.at(-1)).toBe("live");
    vi.advanceTimersByTime(3000);
    expect(t.poll).toHaveBeenCalledTimes(1 + 3 + 1); // polling stopped; one refresh on reopen
    t.stop();
  });

  it("opens a new stream with backoff when the server refused it, polling meanwhile", () => {
    const t = start();
    t.es().fail(2);
    expect(t.modes.at(-1)).toBe("polling");
    expect(t.es().closed).toBe(true);
    vi.advanceTimersByTime(1999);
    expect(FakeEventSource.instances).toHaveLength(1);
    vi.advanceTimersByTime(1);
    expect(FakeEventSource.instances).toHaveLength(2);
    t.es().fail(2);
    vi.advanceTimersByTime(4000);
    expect(FakeEventSource.instances).toHaveLength(3);
    t.es().open();
    expect(t.modes.at(-1)).toBe("live");
    t.stop();
  });

  it("stops everything when the page goes away", () => {
    const t = start();
    t.es().fail(2);
    t.stop();
    vi.advanceTimersByTime(60_000);
    expect(FakeEventSource.instances).toHaveLength(1);
    expect(t.poll).not.toHaveBeenCalled();
  });
});
