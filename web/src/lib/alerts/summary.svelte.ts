// The open alert counts behind the sidebar's bell and the project's "Alerts (N)" link: one shared copy, read
// again on demand (a live alert event, an acknowledgement here) and every 30 s by the bell. Concurrent reads share
// one request.

import { fetchSummary, type AlertSummary } from "./alerts";

export const alertSummary = $state<{ value: AlertSummary | null }>({ value: null });
export const POLL_MS = 30_000;

let inflight: Promise<void> | null = null;

/** Reads the counts again; a failure keeps the last ones (the bell is a hint, the page shows the truth). */
export function refreshSummary(): Promise<void> {
  inflight ??= fetchSummary()
    .then((s) => {
      alertSummary.value = s;
    })
    .catch(() => undefined)
    .finally(() => {
      inflight = null;
    });
  return inflight;
}
