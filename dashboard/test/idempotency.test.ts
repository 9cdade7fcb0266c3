import { describe, expect, it } from "vitest";
import { IdempotencyKeys, newIdempotencyKey } from "@/lib/idempotency";

describe("IdempotencyKeys", () => {
  it("reuses the key while the same name is submitted again (double click, retry after a network error)", () => {
    let n = 0;
    const keys = new IdempotencyKeys(() => `k${++n}`);
    expect(keys.keyFor("Ana Bakery")).toBe("k1");
    expect(keys.keyFor("Ana Bakery")).toBe("k1");
  });

  it("starts a new key for another name or after a success", () => {
    let n = 0;
    const keys = new IdempotencyKeys(() => `k${++n}`);
    keys.keyFor("Ana Bakery");
    expect(keys.keyFor("Ana Books")).toBe("k2");
    keys.reset();
    expect(keys.keyFor("Ana Books")).toBe("k3");
  });

  it("makes UUIDs the API accepts (visible ASCII, at most 200 characters)", () => {
    const key = newIdempotencyKey();
    expect(key).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(newIdempotencyKey()).not.toBe(key);
  });
});
