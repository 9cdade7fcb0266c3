import type { StoreChange } from "./stores";
import type { Store } from "./types";

/** How the page currently learns about changes, shown to the user. */
export type LiveMode = "connecting" | "live" | "polling";

export interface LiveOptions {
  url: string;
  /** Called with batches of changes, at most once per animation frame. */
  onChanges: (changes: StoreChange[]) => void;
  /** A full refresh: after (re)connecting, and on every tick while the stream is down. */
  poll: () => Promise<void>;
  onMode?: (mode: LiveMode) => void;
  pollIntervalMs?: number;
  /** Reconnect delays after the stream closes for good (capped, then repeated). */
  reconnectDelaysMs?: number[];
  /** Injectable for tests. */
  createEventSource?: (url: string) => EventSource;
  schedule?: (flush: () => void) => void;
}

/** Parses one SSE message payload into a change; malformed messages are ignored rather than breaking the page. */
export function parseChange(event: string, data: string): StoreChange | null {
  try {
    const value: unknown = JSON.parse(data);
    if (typeof value !== "object" || value === null) return null;
    const v = value as Partial<Store> & { id?: unknown };
    if (event === "deleted") return typeof v.id === "string" ? { kind: "deleted", id: v.id } : null;
    if (event === "store" && typeof v.id === "string" && typeof v.status === "string" && typeof v.name === "string")
      return { kind: "upsert", store: v as Store };
  } catch {
    // ignore
  }
  return null;
}

/**
 * Collects changes and hands them over in one batch per frame: a burst of 100 stream messages becomes
 * one or two renders instead of 100. Falls back to a timer where frames do not run (background tabs).
 */
export function createBatcher(
  deliver: (changes: StoreChange[]) => void,
  schedule: (flush: () => void) => void = defaultSchedule,
): { push: (c: StoreChange) => void; flush: () => void } {
  let queue: StoreChange[] = [];
  let scheduled = false;
  const flush = () => {
    scheduled = false;
    if (queue.length === 0) return;
    const batch = queue;
    queue = [];
    deliver(batch);
  };
  return {
    push(change) {
      queue.push(change);
      if (!scheduled) {
        scheduled = true;
        schedule(flush);
      }
    },
    flush,
  };
}

function defaultSchedule(flush: () => void): void {
  let done = false;
  const once = () => {
    if (!done) {
      done = true;
      flush();
    }
  };
  if (typeof requestAnimationFrame === "function") requestAnimationFrame(once);
  setTimeout(once, 100);
}

/**
 * Keeps a page up to date: the server-sent events stream when it works, polling while it does not.
 * EventSource reconnects by itself after a network error; when the server refuses the stream (an error
 * status) it gives up, so we poll and try the stream again later. Returns a function that stops everything.
 */
export function startLive(options: LiveOptions): () => void {
  const {
    url,
    onChanges,
    poll,
    onMode = () => {},
    pollIntervalMs = 5000,
    reconnectDelaysMs = [2000, 5000, 10000, 30000],
    createEventSource = (u) => new EventSource(u),
    schedule,
  } = options;
  const batcher = createBatcher(onChanges, schedule);
  let source: EventSource | null = null;
  let pollTimer: ReturnType<typeof setInterval> | null = null;
  let reconnectTimer: ReturnType<typeof setTimeout> | null = null;
  let failures = 0;
  let stopped = false;
  let mode: LiveMode | null = null;

  const setMode = (m: LiveMode) => {
    if (m !== mode) {
      mode = m;
      onMode(m);
    }
  };
  const startPolling = () => {
    if (pollTimer === null) pollTimer = setInterval(() => void poll(), pollIntervalMs);
    setMode("polling");
  };
  const stopPolling = () => {
    if (pollTimer !== null) clearInterval(pollTimer);
    pollTimer = null;
  };

  const connect = () => {
    if (stopped) return;
    setMode(mode === "polling" ? "polling" : "connecting");
    const es = createEventSource(url);
    source = es;
    const onMessage = (event: MessageEvent<string>) => {
      const change = parseChange(event.type, event.data);
      if (change) batcher.push(change);
    };
    es.addEventListener("store", onMessage as EventListener);
    es.addEventListener("deleted", onMessage as EventListener);
    es.onopen = () => {
      failures = 0;
      stopPolling();
      setMode("live");
      // Anything that changed while we were not listening: one refresh closes the gap.
      void poll();
    };
    es.onerror = () => {
      if (stopped) return;
      // The stream dropped: poll until it is back, so the page never goes stale.
      startPolling();
      if (es.readyState === 2 /* CLOSED: the server refused; EventSource will not retry by itself */) {
        es.close();
        const delay = reconnectDelaysMs[Math.min(failures, reconnectDelaysMs.length - 1)];
        failures++;
        reconnectTimer = setTimeout(connect, delay);
      }
    };
  };

  connect();
  return () => {
    stopped = true;
    source?.close();
    stopPolling();
    if (reconnectTimer !== null) clearTimeout(reconnectTimer);
  };
}
