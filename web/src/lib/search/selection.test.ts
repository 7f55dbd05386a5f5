import { describe, expect, it } from "vitest";
import { sendMessage } from "./selection";

describe("sendMessage", () => {
  it("says how many items the queue takes, and how many already have a label", () => {
    expect(sendMessage(5, 5)).toBe("5 items sent to labelling: they come first in the queue");
    expect(sendMessage(5, 3)).toBe("3 items sent to labelling: they come first in the queue; 2 others already have a label");
    expect(sendMessage(2, 1)).toBe("1 item sent to labelling: they come first in the queue; 1 other already has a label");
  });

  it("does not claim success when every item already has a label", () => {
    expect(sendMessage(5, 0)).toBe("All 5 items already have a label: the labelling queue offers only unlabelled items (review them instead)");
    expect(sendMessage(1, 0)).toMatch(/^This item already has a label/);
  });
});
