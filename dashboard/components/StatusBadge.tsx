import { STATUS_HELP, STATUS_TEXT } from "@/lib/stores";
import type { StoreStatus } from "@/lib/types";

/** The status in words, with a shape and a colour as extra cues (never colour alone). */
export function StatusBadge({ status }: { status: StoreStatus }) {
  const known = status in STATUS_TEXT;
  return (
    <span className={`badge badge-${known ? status : "Pending"}`} title={known ? STATUS_HELP[status] : undefined} data-status={status}>
      {known ? STATUS_TEXT[status] : status}
    </span>
  );
}
