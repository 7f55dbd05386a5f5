import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { Job } from "../api/client";
import { activeTrainings, failureReason, hasTrainingData, reportFileName, reportPane, WATCH_FAST_MS, WATCH_SLOW_MS, watchChange, watchState, type PaneState } from "./training";
import { TrainingWatch, type WatchDeps } from "./watch.svelte";

const job = (id: number, status: Job["status"], kind = "train_model"): Job =>
  ({ id, kind, status, project_id: 1, progress: 0.5, message: "", params: {}, result: null, error: null }) as unknown as Job;

describe("training jobs seen from the models page", () => {
  it("lists the trainings still to finish, oldest first", () => {
    const jobs = [job(9, "running"), job(8, "queued", "prelabel"), job(7, "queued"), job(5, "succeeded")];
    expect(activeTrainings(jobs).map((j) => j.id)).toEqual([7, 9]);
    expect(watchState(jobs)).toEqual({ finished: 5, active: "7:queued,9:running" });
  });

  it("reads everything again when a training ended, the versions when one was queued or started", () => {
    const before = watchState([job(5, "succeeded")]);
    const queued = watchState([job(6, "queued"), job(5, "succeeded")]);
    const running = watchState([job(6, "running"), job(5, "succeeded")]);
    const done = watchState([job(6, "failed"), job(5, "succeeded")]);
    expect(watchChange(null, before, [], [])).toBe("none");
    expect(watchChange(before, before, [], [])).toBe("none");
    expect(watchChange(before, queued, [job(6, "queued")], [])).toBe("models");
    // Running but not listed yet: read the versions until its row is there.
    expect(watchChange(running, running, [job(6, "running")], [{ job_id: 5 }])).toBe("models");
    expect(watchChange(running, running, [job(6, "running")], [{ job_id: 6 }])).toBe("none");
    expect(watchChange(running, done, [], [{ job_id: 6 }])).toBe("all");
    // A training that started and ended between two polls.
    expect(watchChange(before, done, [], [])).toBe("all");
    // An old training falling out of the window of newest jobs is no news.
    expect(watchChange(before, watchState([]), [], [])).toBe("none");
  });

  it("says why a version failed, and leaves out its label count", () => {
    const failed = { status: "failed" as const, metrics: { error: "too few labels: at least 4 of two classes" }, data: { count: 0, hash: null } };
    expect(failureReason(failed)).toBe("too few labels: at least 4 of two classes");
    expect(failureReason({ ...failed, metrics: {} })).toBe("no reason was recorded");
    expect(failureReason({ ...failed, status: "ready" })).toBeNull();
    expect(hasTrainingData(failed)).toBe(false);
    expect(hasTrainingData({ ...failed, status: "ready" })).toBe(true);
  });

  it("names the HTML report after the project and the version", () => {
    expect(reportFileName("BANKING77 intents", { name: "text-classifier", version: 4 })).toBe(
      "BANKING77-intents-text-classifier@4-report.html",
    );
    expect(reportFileName("../a/b: c", { name: "m", version: 1 })).toBe("a-b-c-m@1-report.html");
    expect(reportFileName("***", { name: "m", version: 2 })).toBe("project-m@2-report.html");
  });
});

describe("the training watch", () => {
  let visible = true;
  let listener: (() => void) | null = null;
  let calls = 0;
  let jobs: Job[] = [];
  const deps: WatchDeps = {
    fetchJobs: async () => {
      calls += 1;
      return jobs;
    },
    visible: () => visible,
    onVisibility: (l) => {
      listener = l;
      return () => (listener = null);
    },
  };

  beforeEach(() => {
    vi.useFakeTimers();
    visible = true;
    calls = 0;
    jobs = [job(5, "succeeded")];
  });
  afterEach(() => vi.useRealTimers());

  it("asks often while a training runs, slowly otherwise, never while the tab is hidden", async () => {
    const changes: string[] = [];
    const w = new TrainingWatch(1, () => [{ job_id: 6 } as never], (what) => void changes.push(what), deps);
    w.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(calls).toBe(1);
    await vi.advanceTimersByTimeAsync(WATCH_SLOW_MS - 1);
    expect(calls).toBe(1);
    jobs = [job(6, "running"), job(5, "succeeded")];
    await vi.advanceTimersByTimeAsync(1);
    expect(calls).toBe(2);
    expect(w.active.map((j) => j.id)).toEqual([6]);
    expect(changes).toEqual(["models"]);
    await vi.advanceTimersByTimeAsync(WATCH_FAST_MS);
    expect(calls).toBe(3);

    visible = false;
    await vi.advanceTimersByTimeAsync(WATCH_FAST_MS * 10);
    expect(calls).toBe(3); // the tick that came due found the tab hidden: no request, and no timer after it
    jobs = [job(6, "succeeded"), job(5, "succeeded")];
    visible = true;
    listener?.();
    await vi.advanceTimersByTimeAsync(0);
    expect(calls).toBe(4);
    expect(changes).toEqual(["models", "all"]);
    expect(w.active).toEqual([]);
    w.stop();
    await vi.advanceTimersByTimeAsync(WATCH_SLOW_MS * 3);
    expect(calls).toBe(4);
    expect(listener).toBeNull();
  });
});

describe("the pane under the versions table", () => {
  const ready = { id: 4, status: "ready" as const, metrics: {} };
  const base: PaneState = { model: ready, report: false, unevaluated: false, reportError: false, evaluation: null };
  const evaluating = (status: NonNullable<PaneState["evaluation"]>["status"], modelId = 4): PaneState => ({ ...base, evaluation: { modelId, status } });

  it("says an evaluation of the version failed, was cancelled or could not start, instead of loading forever", () => {
    expect(reportPane(evaluating("failed"))).toBe("evaluation-failed");
    expect(reportPane(evaluating("cancelled"))).toBe("evaluation-failed");
    expect(reportPane(evaluating("refused"))).toBe("evaluation-failed");
    // A failure of another version's evaluation is not this one's.
    expect(reportPane(evaluating("failed", 5))).toBe("loading");
  });

  it("waits on an evaluation in progress, then loads the report it made", () => {
    expect(reportPane(evaluating("queued"))).toBe("evaluating");
    expect(reportPane(evaluating("running"))).toBe("evaluating");
    expect(reportPane(evaluating("succeeded"))).toBe("loading");
    expect(reportPane({ ...evaluating("succeeded"), report: true })).toBe("report");
    expect(reportPane({ ...evaluating("succeeded"), reportError: true })).toBe("error");
  });

  it("keeps the version's own states first", () => {
    expect(reportPane({ ...base, model: { ...ready, status: "failed", metrics: { error: "too few labels" } } })).toBe("training-failed");
    expect(reportPane({ ...base, model: { ...ready, status: "training" } })).toBe("training");
    expect(reportPane({ ...base, unevaluated: true })).toBe("unevaluated");
    expect(reportPane(base)).toBe("loading");
  });
});
