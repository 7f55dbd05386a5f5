// The labelling queue panel's words: an item's score with the digits that tell it apart, its reason without the
// server's three-decimal copy of that score, the start of its text, and whether the list is in score order.
// Pure; tested in queueView.test.ts.

import type { QueueItem } from "./api";

/** Strategies that pick a batch spread over the data: their list is not in score order. */
const DIVERSE = new Set(["hybrid", "kcenter", "badge", "cluster_margin"]);

/**
 * A strategy score for the list: three decimals when that tells it apart from 0, else two significant digits
 * (a margin of -0.00004 is "-0.000040", not "-0.000"). Empty for an item without a score (random order).
 */
export function scoreText(score: number | null | undefined): string {
  if (score === null || score === undefined || !Number.isFinite(score)) return "";
  if (score === 0) return "0";
  if (Math.abs(score) >= 0.01) return score.toFixed(3);
  return score.toPrecision(2);
}

/** The measure behind an item's score, from its reason ("hybrid; margin -0.000" -> "margin"); null when not said. */
export function usedMeasure(reason: string): string | null {
  const m = /^[a-z_]+; ([a-z_]+)/.exec(reason);
  return m ? m[1]! : null;
}

/**
 * The score as a person reads it. The server ranks by "higher first", so a margin comes as its negative (-0.998:
 * the two likeliest classes 0.998 apart, i.e. the model is sure); the list shows the margin itself, 0.998, with
 * `title` saying what it is. Other measures (entropy, least confidence, BALD) are shown as they are.
 */
export function queueScore(score: number | null | undefined, reason: string): { text: string; title: string | undefined } {
  if (score === null || score === undefined || !Number.isFinite(score)) return { text: "", title: undefined };
  if (usedMeasure(reason) === "margin") {
    const margin = Math.abs(score);
    return {
      text: scoreText(margin),
      title: `margin ${margin}: how far apart the model's two likeliest classes are (0: a toss-up, 1: sure)`,
    };
  }
  return { text: scoreText(score), title: `score ${score}` };
}

/** The strategy that ranked the item, from its reason ("hybrid; margin -0.000" -> "hybrid"); null when not said. */
export function usedStrategy(reason: string): string | null {
  const m = /^([a-z_]+);/.exec(reason);
  return m ? m[1]! : null;
}

/**
 * The reason without the score the server wrote into it ("hybrid; margin -0.000 (note)" -> "hybrid; margin
 * (note)"): the score column shows it with enough digits. Other reasons are kept as they are.
 */
export function reasonText(reason: string): string {
  return reason.replace(/^([a-z_]+; [a-z_]+) -?\d+\.\d+/, "$1");
}

/**
 * A note for a list that is not in score order: a diversity strategy (hybrid, k-center, BADGE, cluster-margin)
 * picks items spread over the data, so a lower score may come first. Null when the order is the scores'.
 */
export function orderNote(items: readonly Pick<QueueItem, "score" | "reason">[]): string | null {
  const diverse = items.some((it) => DIVERSE.has(usedStrategy(it.reason) ?? ""));
  const scored = items.filter((it) => it.score !== null && it.score !== undefined).map((it) => it.score!);
  const unsorted = scored.some((s, i) => i > 0 && s > scored[i - 1]!);
  if (!diverse && !unsorted) return null;
  return "Picked for diversity, not in score order: similar items are spread out, so a lower score may come first.";
}

/** The first `max` characters of an item's text on one line, with an ellipsis when cut. */
export function snippet(text: string | null | undefined, max = 90): string {
  const flat = (text ?? "").replace(/\s+/g, " ").trim();
  return flat.length <= max ? flat : `${flat.slice(0, max - 1).trimEnd()}…`;
}
