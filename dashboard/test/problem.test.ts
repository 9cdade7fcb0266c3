import { describe, expect, it } from "vitest";
import { explainProblem } from "@/lib/problem";

describe("explainProblem", () => {
  it("puts validation messages next to the fields the form knows", () => {
    const e = explainProblem(
      { status: 400, title: "The store request is not valid", errors: { name: ["Name must be 3 to 40 characters long (it is 2)."] } },
      400,
      ["name"],
    );
    expect(e.kind).toBe("validation");
    expect(e.fieldErrors.name).toEqual(["Name must be 3 to 40 characters long (it is 2)."]);
    expect(e.message).toBe("Please correct the highlighted field.");
  });

  it("matches field keys case-insensitively on the first letter", () => {
    const e = explainProblem({ status: 400, errors: { Email: ["Email is required."] } }, 400, ["email"]);
    expect(e.fieldErrors.email).toEqual(["Email is required."]);
  });

  it("says errors for fields the form does not show in the message instead of dropping them", () => {
    const e = explainProblem(
      { status: 400, title: "Bad", errors: { "Idempotency-Key": ["The Idempotency-Key header must be 1 to 200 visible ASCII characters."] } },
      400,
      ["name"],
    );
    expect(e.fieldErrors).toEqual({});
    expect(e.message).toContain("Idempotency-Key header must be");
  });

  it("explains a quota refusal with what to do, from the API's detail", () => {
    const e = explainProblem(
      {
        status: 409,
        type: "https://storefleet.dev/problems/quota-exceeded",
        detail: "You already have 3 of 3 stores. Delete a store you no longer need, or ask an operator to raise your quota.",
        quota: { used: 3, limit: 3 },
      },
      409,
    );
    expect(e.kind).toBe("quota");
    expect(e.message).toMatch(/3 of 3 stores.*Delete a store/);
  });

  it("writes its own quota sentence when the API gave no detail", () => {
    const e = explainProblem({ status: 409, type: "x/quota-exceeded", quota: { used: 2, limit: 2 } }, 409);
    expect(e.message).toBe("You already have 2 of 2 stores. Delete a store you no longer need, or ask an operator to raise your quota.");
  });

  it("keeps the retry delay of a rate-limit refusal", () => {
    const e = explainProblem({ status: 429, detail: "You are changing stores too quickly. Try again in 7 seconds.", retryAfterSeconds: 7 }, 429);
    expect(e.kind).toBe("rate-limit");
    expect(e.retryAfterSeconds).toBe(7);
    expect(e.message).toContain("Try again in 7 seconds");
  });

  it("gives human words when the API is down or answered without a problem document", () => {
    expect(explainProblem(null, 502).message).toBe("The Storefleet API cannot be reached right now. Try again in a moment.");
    expect(explainProblem({}, 500).message).toBe("Something went wrong (HTTP 500). Try again in a moment.");
  });

  it("treats 401 as an expired session", () => {
    expect(explainProblem({ status: 401 }, 401)).toMatchObject({ kind: "auth", message: "Your session expired, sign in again." });
  });

  it("passes on a conflict's detail", () => {
    const e = explainProblem({ status: 409, title: "Nothing to retry", detail: "Only a store in Error can be retried; this one is Ready." }, 409);
    expect(e).toMatchObject({ kind: "conflict", message: "Only a store in Error can be retried; this one is Ready." });
  });
});
