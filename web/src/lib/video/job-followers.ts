/**
 * The propagation jobs the video editor follows, one per track: following a newer job of a track stops the older
 * one (its updates and its end are no longer reported), and leaving the item stops them all.
 */

import type { Job, TrackServer } from './types';

export interface JobWatch {
  /** Each progress update while the job runs. */
  update: (job: Job) => void;
  /** The job as it ended (succeeded, failed or cancelled). */
  done: (job: Job) => void;
  /** Following it failed (the server could not be asked). */
  failed: (err: unknown) => void;
}

export class JobFollowers {
  readonly #byTrack = new Map<number, AbortController>();
  readonly #follow: TrackServer['follow'];

  constructor(follow: TrackServer['follow']) {
    this.#follow = follow;
  }

  /** Follow `jobId` for track `id`, stopping the one followed for it before. */
  start(id: number, jobId: number, watch: JobWatch): void {
    this.stop(id);
    const ac = new AbortController();
    this.#byTrack.set(id, ac);
    const end = (report: () => void): void => {
      if (ac.signal.aborted) return;
      this.#byTrack.delete(id);
      report();
    };
    this.#follow(jobId, (j) => !ac.signal.aborted && watch.update(j), ac.signal)
      .then((j) => end(() => watch.done(j)))
      .catch((err: unknown) => end(() => watch.failed(err)));
  }

  /** Stop following track `id`'s job, if one is followed. */
  stop(id: number): void {
    this.#byTrack.get(id)?.abort();
    this.#byTrack.delete(id);
  }

  stopAll(): void {
    for (const ac of this.#byTrack.values()) ac.abort();
    this.#byTrack.clear();
  }
}
