import { describe, expect, it } from "vitest";
import { DEFAULT_LANDING, safeNext } from "@/lib/safe-next";

// Each of these, followed by a browser after sign-in, would leave the dashboard or hit one of its API
// routes. Every one must land on the default page instead.
const refused: [string, string | null | undefined][] = [
  ["missing", undefined],
  ["null", null],
  ["empty", ""],
  ["protocol-relative", "//evil.example"],
  ["absolute https", "https://evil.example/stores"],
  ["javascript: scheme", "javascript:alert(1)"],
  ["data: scheme", "data:text/html,<script>alert(1)</script>"],
  ["relative without slash", "evil.example"],
  ["backslash after the slash", "/\\evil.example"],
  ["two backslashes", "\\\\evil.example"],
  ["slash backslash slash", "/\\/evil.example"],
  ["tab between the slashes", "/\t/evil.example"],
  ["encoded tab between the slashes", "/%09/evil.example"],
  ["encoded newline", "/%0a/evil.example"],
  ["encoded carriage return", "/%0d/evil.example"],
  ["raw newline", "/\n/evil.example"],
  ["NUL byte", "/\u0000/evil.example"],
  ["encoded second slash", "/%2fevil.example"],
  ["encoded second slash, upper case", "/%2Fevil.example"],
  ["encoded backslash", "/%5cevil.example"],
  ["double-encoded second slash", "/%252fevil.example"],
  ["double-encoded tab", "/%2509/evil.example"],
  ["malformed escape", "/stores/%E0%A4%A"],
  ["the sign-out route", "/api/auth/logout"],
  ["the API proxy", "/api/sf/stores"],
  ["the API prefix itself", "/api"],
  ["an encoded API route", "/%61pi/auth/logout"],
  ["dot segments into the API", "/stores/../api/auth/logout"],
  ["absurdly long", "/" + "a".repeat(5000)],
];

const accepted: [string, string, string][] = [
  ["the stores page", "/stores", "/stores"],
  ["a store", "/stores/01a2150d-b924-74d4-b9ce-c1ece9d510b7", "/stores/01a2150d-b924-74d4-b9ce-c1ece9d510b7"],
  ["a query string", "/stores?deleted=Ana", "/stores?deleted=Ana"],
  ["the admin page with a fragment", "/admin#audit", "/admin#audit"],
  ["an encoded space", "/stores/Ana%20Bakery", "/stores/Ana%20Bakery"],
  ["dot segments that stay on the site", "/admin/../stores", "/stores"],
  ["a path that merely starts with api", "/apiary", "/apiary"],
];

describe("safeNext (where sign-in sends the user)", () => {
  it.each(refused)("refuses %s", (_why, input) => {
    expect(safeNext(input)).toBe(DEFAULT_LANDING);
  });

  it.each(accepted)("keeps %s", (_why, input, expected) => {
    expect(safeNext(input)).toBe(expected);
  });

  it("never returns anything a browser would resolve to another origin", () => {
    for (const [, input] of refused) {
      const target = new URL(safeNext(input), "https://app.storefleet.example.com");
      expect(target.origin).toBe("https://app.storefleet.example.com");
    }
  });
});
