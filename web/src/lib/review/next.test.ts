import { describe, expect, it } from "vitest";
import { toasts } from "../toasts.svelte";
import { heldNote, nextInReview, nothingLeftText, reviewNextPath } from "./next";

describe("review queue next", () => {
  it("opens the item the server handed out in the review queue, or goes back to the queue", () => {
    expect(reviewNextPath(3, 42)).toBe("/projects/3/items/42?queue=review");
    expect(reviewNextPath(3, null)).toBe("/projects/3/review");
  });

  it("asks the server from the item on screen, or from the start on the queue page", async () => {
    const asked: (number | null)[] = [];
    const none = async (_p: number, after: number | null) => (asked.push(after), null);
    const before = toasts.length;
    await nextInReview(3, null, { gone: false }, none);
    expect(asked).toEqual([null]);
    expect(toasts.slice(before).map((t) => t.title)).toEqual([nothingLeftText(true)[0]]);
  });

  it("does nothing once the page is gone (that would skip an item)", async () => {
    const before = toasts.length;
    await nextInReview(3, null, { gone: true }, async () => null);
    await nextInReview(3, 9, { gone: true }, async () => {
      throw new Error("offline");
    });
    expect(toasts.length).toBe(before);
  });

  it("says how many items others are deciding", () => {
    expect(heldNote(0)).toBe("");
    expect(heldNote(1200)).toBe("1,200 being reviewed by others right now");
    expect(nothingLeftText(false)[0]).toBe("No other item to review");
  });
});
