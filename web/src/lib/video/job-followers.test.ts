import { describe, expect, it } from 'vitest';
import { JobFollowers } from './job-followers';
import type { Job } from './types';

const job = (id: number, status: string): Job => ({ id, status }) as unknown as Job;

/** A `follow` whose jobs end when the test says, reporting one update first. */
function server() {
  const ends = new Map<number, { ok: (j: Job) => void; fail: (e: unknown) => void; update: (j: Job) => void }>();
  const follow = (jobId: number, update: (j: Job) => void, signal: AbortSignal): Promise<Job> =>
    new Promise((ok, fail) => {
      ends.set(jobId, { ok, fail, update });
      signal.addEventListener('abort', () => fail(new DOMException('aborted', 'AbortError')));
    });
  return { follow, ends };
}

const tick = () => new Promise((r) => setTimeout(r, 0));

describe('JobFollowers', () => {
  it('reports a job’s updates and its end', async () => {
    const { follow, ends } = server();
    const seen: string[] = [];
    new JobFollowers(follow).start(1, 7, {
      update: (j) => seen.push(`update ${j.id} ${j.status}`),
      done: (j) => seen.push(`done ${j.id} ${j.status}`),
      failed: () => seen.push('failed'),
    });
    ends.get(7)!.update(job(7, 'running'));
    ends.get(7)!.ok(job(7, 'succeeded'));
    await tick();
    expect(seen).toEqual(['update 7 running', 'done 7 succeeded']);
  });

  it('stops reporting a track’s older job once a newer one is followed, and everything after stopAll', async () => {
    const { follow, ends } = server();
    const seen: string[] = [];
    const watch = (name: string) => ({
      update: () => seen.push(`${name} update`),
      done: () => seen.push(`${name} done`),
      failed: () => seen.push(`${name} failed`),
    });
    const f = new JobFollowers(follow);
    f.start(1, 7, watch('old'));
    f.start(1, 8, watch('new'));
    f.start(2, 9, watch('other'));
    ends.get(7)!.update(job(7, 'running'));
    ends.get(7)!.ok(job(7, 'succeeded'));
    ends.get(8)!.fail(new Error('server gone'));
    await tick();
    expect(seen).toEqual(['new failed']); // the aborted job 7 says nothing, not even that it was aborted
    f.stopAll();
    ends.get(9)!.ok(job(9, 'succeeded'));
    await tick();
    expect(seen).toEqual(['new failed']);
  });
});
