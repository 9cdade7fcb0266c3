"use client";
import { useEffect, useRef, useState } from "react";

/** Whether the typed confirmation matches the store's name (surrounding spaces forgiven). */
export function confirmsName(typed: string, name: string): boolean {
  return typed.trim() === name.trim() && name.trim() !== "";
}

interface Props {
  name: string;
  open: boolean;
  busy: boolean;
  error: string | null;
  onCancel: () => void;
  onConfirm: () => void;
}

/**
 * Deleting is permanent, so the user types the store's name first. A native modal dialog: focus moves
 * into it, Escape closes it, and focus returns to the button that opened it.
 */
export function DeleteStoreDialog({ name, open, busy, error, onCancel, onConfirm }: Props) {
  const ref = useRef<HTMLDialogElement>(null);
  const [typed, setTyped] = useState("");
  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    if (open && !dialog.open) {
      setTyped("");
      if (typeof dialog.showModal === "function") dialog.showModal();
      else dialog.setAttribute("open", "");
    } else if (!open && dialog.open) dialog.close();
  }, [open]);
  const matches = confirmsName(typed, name);
  return (
    <dialog ref={ref} aria-labelledby="delete-title" aria-describedby="delete-desc" onCancel={onCancel} onClose={onCancel}>
      <form
        method="dialog"
        onSubmit={(e) => {
          e.preventDefault();
          if (matches && !busy) onConfirm();
        }}
      >
        <h2 id="delete-title">Delete “{name}”?</h2>
        <p id="delete-desc">
          This removes the storefront, its database, products and orders. It cannot be undone.
        </p>
        <label htmlFor="confirm-name">
          Type <strong className="mono">{name}</strong> to confirm
        </label>
        <input
          id="confirm-name"
          type="text"
          autoComplete="off"
          value={typed}
          onChange={(e) => setTyped(e.target.value)}
          aria-describedby={error ? "delete-error" : undefined}
        />
        {error && (
          <p className="field-error" id="delete-error" role="alert">
            {error}
          </p>
        )}
        <div className="form-actions">
          <button type="submit" className="danger" disabled={!matches || busy} aria-busy={busy || undefined}>
            {busy ? "Deleting…" : "Delete store"}
          </button>
          <button type="button" className="secondary" onClick={onCancel}>
            Cancel
          </button>
        </div>
      </form>
    </dialog>
  );
}
