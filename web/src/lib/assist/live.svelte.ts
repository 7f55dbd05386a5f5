// A job started from the models page and followed until it ends (training, evaluation, pre-labelling): the
// latest state for JobProgress, the error of the request that started it, and a stop when the page goes away.

import type { Job } from "../api/client";
import { FINISHED, followJob } from "../jobs";

export class LiveJob {
  job: Job | null = $state(null);
  /** The request that should have started the job failed (shown where the button is). */
  error: unknown = $state(null);
  private controller: AbortController | null = null;

  get running(): boolean {
    return this.job !== null && !FINISHED.has(this.job.status);
  }

  /** Starts a job with `begin` and follows it; `ondone` gets the finished job (any outcome). */
  async start(begin: () => Promise<Job>, ondone?: (job: Job) => void | Promise<void>): Promise<void> {
    this.stop();
    this.error = null;
    const controller = new AbortController();
    this.controller = controller;
    try {
      this.job = await begin();
      const done = await followJob(this.job.id, (j) => (this.job = j), controller.signal);
      await ondone?.(done);
    } catch (err) {
      if (err instanceof DOMException && err.name === "AbortError") return;
      this.error = err;
    } finally {
      if (this.controller === controller) this.controller = null;
    }
  }

  /** Stops following (the job itself runs on). */
  stop(): void {
    this.controller?.abort();
    this.controller = null;
  }

  clear(): void {
    this.stop();
    this.job = null;
    this.error = null;
  }
}
