import { describe, expect, it } from "vitest";
import { formatTime, timeAgo } from "@/lib/format";

describe("timeAgo", () => {
  const now = Date.parse("2026-03-01T12:00:00Z");
  it("says just now for the last few seconds", () => expect(timeAgo("2026-03-01T11:59:55Z", now)).toBe("just now"));
  it("uses the largest whole unit", () => {
    expect(timeAgo("2026-03-01T11:57:00Z", now)).toBe("3 minutes ago");
    expect(timeAgo("2026-03-01T10:00:00Z", now)).toBe("2 hours ago");
    expect(timeAgo("2026-02-28T12:00:00Z", now)).toBe("yesterday");
  });
  it("returns nothing for a broken time", () => expect(timeAgo("nope", now)).toBe(""));
});

describe("formatTime", () => {
  it("renders UTC so the server and the browser agree", () => expect(formatTime("2026-03-01T12:00:05Z")).toMatch(/01 Mar 2026.*12:00:05.*UTC/));
});
