/**
 * A random UUID v4 for the Idempotency-Key header. crypto.randomUUID exists only in secure contexts
 * (https or localhost); getRandomValues works everywhere, so fall back to it.
 */
export function newIdempotencyKey(): string {
  const c = globalThis.crypto;
  if (typeof c?.randomUUID === "function") return c.randomUUID();
  const b = new Uint8Array(16);
  c.getRandomValues(b);
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/**
 * One key per intent: the same name submitted again (a double click, a retry after a network error)
 * reuses the key, so the API creates at most one store; a different name, or a success, starts a new intent.
 */
export class IdempotencyKeys {
  private key: string | null = null;
  private forValue: string | null = null;

  constructor(private readonly make: () => string = newIdempotencyKey) {}

  keyFor(value: string): string {
    if (this.key === null || this.forValue !== value) {
      this.key = this.make();
      this.forValue = value;
    }
    return this.key;
  }

  /** After a definite answer (created, or refused for a reason a retry would not change). */
  reset(): void {
    this.key = null;
    this.forValue = null;
  }
}
