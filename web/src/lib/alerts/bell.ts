// What the sidebar's bell follows (hand-written rules, kept out of the component so vitest can check them):
// the live streams of a few projects whose alerts the user reads (lib/live: `alert.raised` and `alert.ack` come
// through them within about a second), and a poll of /alerts/summary only as a fallback, while one of those
// streams is down or some readable projects are not followed.
//
// The bell follows at most BELL_STREAMS projects: each followed project holds a stream in every open tab (shared
// with that project's own pages), and the server allows a user 20 streams; the project on screen comes first,
// then those with open alerts (most first), then the rest in the summary's order.

import type { LiveEvent, LiveState } from "../live.svelte";
import type { AlertSummary } from "./alerts";

export const BELL_STREAMS = 3;
/** The fallback poll, while a followed stream is down or a readable project is not followed. */
export const FALLBACK_POLL_MS = 30_000;
/** A burst of alert events within this many ms reads the counts once. */
export const REFRESH_DELAY_MS = 250;

export function isAlertEvent(e: Pick<LiveEvent, "action">): boolean {
  return e.action === "alert.raised" || e.action === "alert.ack";
}

/**
 * The projects whose streams the bell follows, in order: `current` (the project on screen) when the user reads its
 * alerts (`readsCurrent`: an administrator reads every project's, listed in the summary or not), then the summary's.
 */
export function followedProjects(summary: AlertSummary | null, current: number | null, readsCurrent: boolean,
  max = BELL_STREAMS): number[] {
  const projects = summary?.projects ?? [];
  const ranked = projects
    .map((p, i) => ({ id: p.project_id, open: p.open, i }))
    .sort((a, b) => b.open - a.open || a.i - b.i)
    .map((p) => p.id);
  const first = current !== null && readsCurrent ? [current] : [];
  return [...first, ...ranked.filter((id) => id !== current)].slice(0, max);
}

/**
 * Whether the counts must still be polled: a followed stream is not live, or a readable project is not followed
 * (`readable`: how many projects' alerts the user reads; Infinity for an administrator, who reads them all).
 */
export function needsPoll(states: readonly LiveState[], readable: number): boolean {
  return states.length < readable || states.some((s) => s !== "live");
}
