// What the sidebar's bell follows (hand-written rules, kept out of the component so vitest can check them): the
// user's alert stream (lib/live, key ALERTS: GET /alerts/events, `alert.raised` and `alert.ack` of every project
// whose alerts they read, within about a second), one stream per tab however many projects that is, and a poll of
// /alerts/summary only as a fallback while that stream is down.

import type { LiveEvent, LiveState } from "../live.svelte";

/** The fallback poll, while the alert stream is down. */
export const FALLBACK_POLL_MS = 30_000;
/** A burst of alert events within this many ms reads the counts once. */
export const REFRESH_DELAY_MS = 250;

export function isAlertEvent(e: Pick<LiveEvent, "action">): boolean {
  return e.action === "alert.raised" || e.action === "alert.ack";
}

/** Whether the counts must be polled: none read yet, or the alert stream is not connected. */
export function needsPoll(state: LiveState, haveCounts: boolean): boolean {
  return !haveCounts || state !== "live";
}

/**
 * The message in the corner for an alert event, or null: an alert raised in the project on screen (`onScreen`),
 * unless its Alerts page is open (the list shows it). Its title comes with the event.
 */
export function alertToast(e: Pick<LiveEvent, "action" | "project_id" | "detail">, onScreen: number | null,
  onAlertsPage: boolean): string | null {
  if (e.action !== "alert.raised" || onScreen === null || e.project_id !== onScreen || onAlertsPage) return null;
  return typeof e.detail.title === "string" && e.detail.title ? e.detail.title : "An alert was raised";
}
