// The open alert counts behind the sidebar's bell and the project's "Alerts (N)" link: one shared copy, read
// again on demand (a live alert event, an acknowledgement here; the bell's rules are in ./bell). Concurrent reads
// share one request.

import { fetchSummary, type AlertSummary } from "./alerts";

export const alertSummary = $state<{ value: AlertSummary | null }>({ value: null });

let inflight: Promise<void> | null = null;
let again = false;

/**
 * Reads the counts again; a failure keeps the last ones (the bell is a hint, the page shows the truth). A call
 * while a read is under way gets that read, and one more read follows it: the first may have been answered before
 * the alert that prompted the call was written.
 */
export function refreshSummary(): Promise<void> {
  if (inflight !== null) {
    again = true;
    return inflight;
  }
  inflight = fetchSummary()
    .then((s) => {
      alertSummary.value = s;
    })
    .catch(() => undefined)
    .finally(() => {
      inflight = null;
      if (again) {
        again = false;
        void refreshSummary();
      }
    });
  return inflight;
}
