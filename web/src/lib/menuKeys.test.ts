import { describe, expect, it } from "vitest";
import { nextIndex } from "./menuKeys";

describe("menu arrow keys", () => {
  it("go down from nothing focused to the first item and wrap at both ends", () => {
    expect(nextIndex(-1, 3, true)).toBe(0);
    expect(nextIndex(2, 3, true)).toBe(0);
    expect(nextIndex(0, 3, false)).toBe(2);
    expect(nextIndex(-1, 3, false)).toBe(1);
  });
});
