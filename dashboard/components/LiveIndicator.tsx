import type { LiveMode } from "@/lib/live";

const TEXT: Record<LiveMode, string> = {
  connecting: "Connecting to live updates…",
  live: "Live: changes appear as they happen",
  polling: "Live updates interrupted: refreshing every 5 seconds",
};

export function LiveIndicator({ mode }: { mode: LiveMode }) {
  return (
    <span className="live" data-mode={mode} data-testid="live-mode">
      <span className="dot" aria-hidden="true" />
      {TEXT[mode]}
    </span>
  );
}
