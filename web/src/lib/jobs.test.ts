import { describe, expect, it } from 'vitest';
import type { Job } from './api/client';
import { JOBS_FAST_MS, JOBS_SLOW_MS, jobKindLabel, jobsPollDelay, resultSummary, sourceName } from './jobs';

function job(kind: string, result: Record<string, unknown>): Job {
  return { kind, result, message: 'done' } as unknown as Job;
}

describe('resultSummary', () => {
  it('says what a pre-labelling job did with its proposals', () => {
    const r = { items: 32, proposed: 23, accepted: 9, dropped: 0, errors_total: 0 };
    expect(resultSummary(job('prelabel', r))).toBe('32 items pre-labelled, 9 accepted, 23 proposed, 0 dropped');
    expect(resultSummary(job('prelabel', { ...r, errors_total: 2 }))).toContain('2 errors');
  });

  it('gives a trained version and its accuracy', () => {
    expect(resultSummary(job('train_model', { version: 3, metrics: { accuracy: 0.9123 } }))).toBe(
      'version 3 ready, accuracy 91.2 %',
    );
    const federated = { version: 2, metrics: { accuracy: 0.877 }, rounds: [{ round: 1 }, { round: 2 }] };
    expect(resultSummary(job('federated_train', federated))).toBe('version 2 ready after 2 rounds, accuracy 87.7 %');
  });

  it('counts embedded and mapped items', () => {
    const r = { embedded: 1200, unchanged: 5, removed: 0, space: 'ngram' };
    expect(resultSummary(job('embed', r))).toBe('1,200 items embedded, 5 unchanged (ngram)');
    expect(resultSummary(job('embedding_map', { points: 14, method: 'pca' }))).toBe('14 items mapped (pca)');
  });

  it('says what an import added, found already there and made new', () => {
    const r = { items_added: 0, items_matched: 10, annotations_added: 1, annotations_present: 107, labels_added: ['spaceship'] };
    expect(resultSummary(job('import', r))).toBe(
      '0 items added, 10 matched, 1 annotation, 107 already there, not added again, new classes: spaceship',
    );
  });

  it('says whether an import skipped annotations, items or records of both', () => {
    const ann = (i: number) => ({ file: 'annotations.json', field: i % 2 ? 'kind' : 'geometry.points', message: `a${i}: no` });
    const base = { items_added: 128, annotations_added: 1987 };
    const anns = { ...base, skipped_count: 10, skipped: Array.from({ length: 10 }, (_, i) => ann(i)) };
    expect(resultSummary(job('import', anns))).toBe('128 items added, 1,987 annotations, 10 invalid annotations skipped');
    const items = { ...base, skipped_count: 2, skipped: [{ field: 'name', message: 'duplicate item' }, { field: 'meta', message: 'x' }] };
    expect(resultSummary(job('import', items))).toContain(', 2 invalid items skipped');
    const mixed = { ...base, skipped_count: 2, skipped: [ann(1), { field: 'name', message: 'duplicate item' }] };
    expect(resultSummary(job('import', mixed))).toContain(', 2 invalid records skipped');
    // Only part of the list came with the result: what the rest were is not known.
    const cut = { ...base, skipped_count: 300, skipped: [ann(1)] };
    expect(resultSummary(job('import', cut))).toContain(', 300 invalid records skipped');
    expect(resultSummary(job('import', { ...base, skipped_count: 1, skipped: [ann(1)] }))).toContain(', 1 invalid annotation skipped');
    const coco = { ...base, skipped_count: 1, skipped: [{ file: 'a.json', field: 'annotations[3].category_id', message: 'no' }] };
    expect(resultSummary(job('import', coco))).toContain(', 1 invalid annotation skipped');
  });

  it('says what an export wrote and what its format left out', () => {
    const r = { items: 128, annotations: 939, annotations_skipped: { mask: 10, polygon: 1048, class: 2, box: 0 }, size: 2048 };
    expect(resultSummary(job('export', r))).toBe(
      '128 items, 939 annotations, 1,048 polygons, 10 masks and 2 class labels left out (the format cannot hold them), 2.0 KB',
    );
    expect(resultSummary(job('export', { items: 1, annotations: 1, annotations_skipped: {}, size: 10 }))).toBe('1 item, 1 annotation, 10 B');
  });

  it('falls back to the message for kinds it does not know', () => {
    expect(resultSummary(job('propagate', {}))).toBe('done');
  });
});

describe('jobKindLabel', () => {
  it('names the known kinds for people and spaces out the others', () => {
    expect(jobKindLabel('train_model')).toBe('Model training');
    expect(jobKindLabel('federated_train')).toBe('Federated training');
    expect(jobKindLabel('propagate')).toBe('Tracking');
    expect(jobKindLabel('embedding_map')).toBe('Embedding map');
    expect(jobKindLabel('some_new_kind')).toBe('Some new kind');
  });
});

describe('jobsPollDelay', () => {
  it('polls fast while a job is queued or running, slowly otherwise', () => {
    expect(jobsPollDelay([{ status: 'succeeded' }, { status: 'running' }])).toBe(JOBS_FAST_MS);
    expect(jobsPollDelay([{ status: 'queued' }])).toBe(JOBS_FAST_MS);
    expect(jobsPollDelay([{ status: 'failed' }, { status: 'cancelled' }])).toBe(JOBS_SLOW_MS);
    expect(jobsPollDelay([])).toBe(JOBS_SLOW_MS);
  });
});

describe("sourceName", () => {
  it("names an upload by its file and a server path by its last two parts", () => {
    expect(sourceName("/home/lh/uploads/6720668c87fe4b1d/notes.txt")).toBe("notes.txt");
    expect(sourceName("/data/coco128/labels")).toBe("coco128/labels");
    expect(sourceName("instances.json")).toBe("instances.json");
    expect(sourceName("")).toBe("");
  });
});
