// The models page's eye on training jobs started anywhere: one GET of the project's newest jobs every 2 s while
// a training is queued or running and every 5 s otherwise, only while the tab is visible (a hidden tab asks
// nothing; it asks at once when shown again). The trainings in progress are kept for the page to show with
// their progress; the page is told when to read the versions (or everything) again.

import type { Job } from "../api/client";
import { listJobs } from "./api";
import { activeTrainings, WATCH_FAST_MS, WATCH_JOBS, WATCH_SLOW_MS, watchChange, watchState, type WatchState } from "./training";
import type { ModelVersion } from "./api";

export interface WatchDeps {
  fetchJobs: (projectId: number) => Promise<Job[]>;
  visible: () => boolean;
  /** Subscribe to visibility changes; returns the unsubscribe. */
  onVisibility: (listener: () => void) => () => void;
}

const browserDeps: WatchDeps = {
  fetchJobs: (pid) => listJobs(pid, WATCH_JOBS),
  visible: () => typeof document === "undefined" || document.visibilityState === "visible",
  onVisibility: (listener) => {
    if (typeof document === "undefined") return () => {};
    document.addEventListener("visibilitychange", listener);
    return () => document.removeEventListener("visibilitychange", listener);
  },
};

export class TrainingWatch {
  /** The project's trainings queued or running, oldest first (as of the last poll). */
  active: Job[] = $state([]);
  private prev: WatchState | null = null;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private busy = false;
  private again = false;
  private stopped = true;
  private unsubscribe: () => void = () => {};

  constructor(
    private readonly projectId: number,
    private readonly models: () => readonly ModelVersion[],
    private readonly onchange: (what: "all" | "models") => void | Promise<void>,
    private readonly deps: WatchDeps = browserDeps,
  ) {}

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.unsubscribe = this.deps.onVisibility(() => {
      if (this.deps.visible()) this.schedule(0);
    });
    this.schedule(0);
  }

  stop(): void {
    this.stopped = true;
    this.unsubscribe();
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }

  /** Ask now (a training was just started or cancelled here). */
  now(): void {
    if (this.busy) this.again = true;
    else this.schedule(0);
  }

  private schedule(ms: number): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    if (!this.stopped) this.timer = setTimeout(() => void this.tick(), ms);
  }

  private async tick(): Promise<void> {
    this.timer = null;
    // Hidden: no request, and no timer either; the visibility listener asks again when the tab shows.
    if (this.stopped || this.busy || !this.deps.visible()) return;
    this.busy = true;
    try {
      const jobs = await this.deps.fetchJobs(this.projectId);
      if (this.stopped) return;
      const next = watchState(jobs);
      this.active = activeTrainings(jobs);
      const what = watchChange(this.prev, next, this.active, this.models());
      this.prev = next;
      if (what !== "none") await this.onchange(what);
    } catch {
      // A poll that fails (the server restarting, the network) is tried again at the next tick; a 401 has
      // already sent the user to the login form.
    } finally {
      this.busy = false;
      const soon = this.again;
      this.again = false;
      this.schedule(soon ? 0 : this.active.length > 0 ? WATCH_FAST_MS : WATCH_SLOW_MS);
    }
  }
}
