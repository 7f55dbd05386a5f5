import { describe, expect, it } from "vitest";
import { countedAgo } from "./stats";

describe("countedAgo", () => {
  const at = "2026-12-06T12:00:00+00:00";
  const later = (s: number) => Date.parse(at) + s * 1000;

  it("says how long ago kept counts were counted", () => {
    expect(countedAgo(at, later(0))).toBe("counted just now");
    expect(countedAgo(at, later(40))).toBe("counted 40 s ago");
    expect(countedAgo(at, later(59))).toBe("counted 59 s ago");
    expect(countedAgo(at, later(60))).toBe("counted 1 min ago");
    expect(countedAgo(at, later(3599))).toBe("counted 59 min ago");
    expect(countedAgo(at, later(2 * 3600))).toBe("counted 2 h ago");
  });

  it("never says a time in the future, and copes without one", () => {
    expect(countedAgo(at, later(-30))).toBe("counted just now"); // the browser's clock behind the server's
    expect(countedAgo(undefined)).toBe("counted earlier");
    expect(countedAgo("not a time")).toBe("counted earlier");
  });
});
