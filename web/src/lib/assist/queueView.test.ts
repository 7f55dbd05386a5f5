import { describe, expect, it } from "vitest";
import { orderNote, queueScore, reasonText, scoreText, snippet, usedMeasure, usedStrategy } from "./queueView";

describe("the labelling queue panel", () => {
  it("shows a score with the digits that tell it from zero", () => {
    expect(scoreText(-0.00004)).toBe("-0.000040");
    expect(scoreText(-0.000123)).toBe("-0.00012");
    expect(scoreText(-0.5)).toBe("-0.500");
    expect(scoreText(1.234)).toBe("1.234");
    expect(scoreText(0)).toBe("0");
    expect(scoreText(null)).toBe("");
    expect(scoreText(-1.2e-7)).toBe("-1.2e-7");
  });

  it("takes the server's rounded score out of the reason and reads the strategy used", () => {
    expect(reasonText("hybrid; margin -0.000")).toBe("hybrid; margin");
    expect(reasonText("margin; margin -0.012 (hybrid needs embeddings: compute them)")).toBe(
      "margin; margin (hybrid needs embeddings: compute them)",
    );
    expect(reasonText("random: the project has no model yet")).toBe("random: the project has no model yet");
    expect(usedStrategy("kcenter; margin -0.100")).toBe("kcenter");
    expect(usedStrategy("sent to labelling (priority)")).toBeNull();
  });

  it("shows a margin as the gap between the two likeliest classes, other scores as they are", () => {
    expect(usedMeasure("hybrid; margin -0.998")).toBe("margin");
    expect(queueScore(-0.998, "hybrid; margin -0.998").text).toBe("0.998");
    expect(queueScore(-0.998, "hybrid; margin -0.998").title).toMatch(/^margin 0.998: .*0: a toss-up, 1: sure/);
    expect(queueScore(-0.00004, "margin; margin -0.000").text).toBe("0.000040");
    expect(queueScore(1.234, "entropy; entropy 1.234")).toEqual({ text: "1.234", title: "score 1.234" });
    expect(queueScore(null, "random: the project has no model yet")).toEqual({ text: "", title: undefined });
  });

  it("says when the list is not in score order", () => {
    const item = (score: number | null, reason: string) => ({ score, reason });
    expect(orderNote([item(-0.1, "margin; margin -0.100"), item(-0.2, "margin; margin -0.200")])).toBeNull();
    expect(orderNote([item(-0.2, "hybrid; margin -0.200"), item(-0.1, "hybrid; margin -0.100")])).toMatch(/not in score order/);
    // Sorted by chance, still a diversity pick.
    expect(orderNote([item(-0.1, "badge; margin -0.100")])).toMatch(/diversity/);
    // Any strategy whose scores go up somewhere.
    expect(orderNote([item(0.1, "x"), item(0.3, "x")])).toMatch(/not in score order/);
    expect(orderNote([item(null, "random: the project has no model yet")])).toBeNull();
  });

  it("cuts an item's text to one short line", () => {
    expect(snippet("  I  lost\nmy card ")).toBe("I lost my card");
    expect(snippet("a".repeat(100), 10)).toBe(`${"a".repeat(9)}…`);
    expect(snippet(null)).toBe("");
  });
});
