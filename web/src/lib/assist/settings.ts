// The assist settings form's rules: the strategies the queue offers, what is wrong with a set of bands, and
// what changed between two settings (for the conflict message). Pure; tested in settings.test.ts.

import type { AssistSettings } from "./api";

export const STRATEGIES: { name: string; text: string }[] = [
  { name: "hybrid", text: "Hybrid (uncertain and diverse)" },
  { name: "margin", text: "Margin" },
  { name: "least_confidence", text: "Least confidence" },
  { name: "entropy", text: "Entropy" },
  { name: "bald", text: "BALD (SWAG disagreement)" },
  { name: "kcenter", text: "k-center (diverse)" },
  { name: "badge", text: "BADGE (gradient embeddings)" },
  { name: "cluster_margin", text: "Cluster-margin" },
  { name: "random", text: "Random" },
];

/** The most versions per model line whose files a project may keep (the server's limit). */
export const MAX_KEEP_VERSIONS = 1000;

/** What is wrong with the settings (by field), empty when they can be saved. */
export function settingsProblems(s: AssistSettings): Partial<Record<keyof AssistSettings, string>> {
  const out: Partial<Record<keyof AssistSettings, string>> = {};
  if (!(s.lower >= 0 && s.lower <= 1)) out.lower = "The lower bound is a score from 0 to 1.";
  if (!(s.upper >= 0 && s.upper <= 1)) out.upper = "The upper bound is a score from 0 to 1.";
  else if (s.lower > s.upper) out.upper = "The upper bound must not be below the lower bound.";
  if (s.retrain_every !== null && !(Number.isInteger(s.retrain_every) && s.retrain_every >= 1)) {
    out.retrain_every = "Retrain after a whole number of new labels (1 or more), or never.";
  }
  if (!(Number.isInteger(s.keep_versions) && s.keep_versions >= 1 && s.keep_versions <= MAX_KEEP_VERSIONS)) {
    out.keep_versions = `Keep the files of 1 to ${MAX_KEEP_VERSIONS} versions.`;
  }
  return out;
}

const NAMES: Record<keyof AssistSettings, string> = {
  lower: "lower bound",
  upper: "upper bound",
  retrain_every: "retrain every",
  strategy: "queue strategy",
  model_id: "model",
  keep_versions: "versions kept",
};

/** The fields whose values differ, in words ("upper bound, queue strategy"), for the conflict message. */
export function changedFields(a: AssistSettings, b: AssistSettings): string[] {
  return (Object.keys(NAMES) as (keyof AssistSettings)[]).filter((k) => a[k] !== b[k]).map((k) => NAMES[k]);
}

/** Digits a band keeps when it is taken from the suggestion (the sliders move in steps of 0.01). */
const BAND_DIGITS = 4;

/** A bound as the form shows it: at least two decimals, up to four, no trailing zeros past two (0.9545, 0.95). */
export function bandText(v: number): string {
  return v.toFixed(BAND_DIGITS).replace(/(\.\d\d\d*?)0+$/, "$1");
}

/**
 * The suggested bands as the form takes them ("Use these"). Rounding must never accept more than suggested: the
 * upper bound is rounded up and the lower bound down (to four decimals, so 0.9545 stays 0.9545; a hair of float
 * error, 0.95000000001, does not turn into 0.9501).
 */
export function takeSuggested(s: { lower: number; upper: number }): { lower: number; upper: number } {
  const f = 10 ** BAND_DIGITS;
  const eps = 1e-6;
  const clamp = (v: number): number => Math.min(1, Math.max(0, v));
  return {
    lower: clamp(Math.floor(s.lower * f + eps) / f),
    upper: clamp(Math.ceil(s.upper * f - eps) / f),
  };
}

/** What the bands do to a proposal with this score, in words for the slider's hint. */
export function bandsText(lower: number, upper: number): string {
  const [lo, up] = [bandText(lower), bandText(upper)];
  return `Below ${lo}: dropped · ${lo}–${up}: proposed for review · above ${up}: accepted`;
}
