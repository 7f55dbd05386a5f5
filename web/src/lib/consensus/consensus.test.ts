import { describe as group, expect, it } from "vitest";
import { describe, overlayShapes, percent, progressText, setText, tone } from "./consensus";

group("consensus words", () => {
  it("shows agreement as a percentage with a tone", () => {
    expect(percent(0.666)).toBe("67%");
    expect(percent(null)).toBe("—");
    expect([tone(0.2), tone(0.6), tone(0.9), tone(undefined)]).toEqual(["low", "fair", "good", "none"]);
  });

  it("tells a labeller where the item stands", () => {
    expect(progressText({ overlap: 3, submitted_count: 1, you_submitted: false })).toBe(
      "Your own labels: nobody else sees them · 1 of 3 people submitted",
    );
    expect(progressText({ overlap: 2, submitted_count: 1, you_submitted: true })).toContain("You submitted");
  });

  it("sums up a change of overlap", () => {
    expect(setText(3, 2, [{ reason: "already labelled", count: 1 }])).toBe(
      "2 items now labelled by 3 people each; 1 skipped: already labelled",
    );
    expect(setText(0, 1, [])).toBe("1 item back to ordinary labelling");
  });

  it("describes a replica's labels", () => {
    expect(describe({ kind: "box", label: "cat", geometry: { bbox: [1.4, 2, 10.6, 20] } })).toBe("box cat [1, 2, 11, 20]");
    expect(describe({ kind: "span", label: "PER", geometry: { start: 4, end: 12 } })).toBe("span PER 4–12");
    expect(describe({ kind: "class", label: "day", geometry: {} })).toBe("tag day");
  });

  it("picks the shapes to draw over the image", () => {
    const shapes = overlayShapes([
      { kind: "box", label: "cat", geometry: { bbox: [1, 2, 3, 4] } },
      { kind: "class", label: "day", geometry: {} },
      { kind: "polygon", label: "dog", geometry: { points: [0, 0, 5, 0, 5, 5] } },
    ]);
    expect(shapes).toEqual([
      { label: "cat", box: [1, 2, 3, 4], points: null },
      { label: "dog", box: null, points: [0, 0, 5, 0, 5, 5] },
    ]);
  });
});
