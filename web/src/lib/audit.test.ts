import { describe, expect, it } from 'vitest';
import { actorName, itemOf, sentence, type AuditEvent } from './audit';

function ev(action: string, detail: Record<string, unknown>, extra: Partial<AuditEvent> = {}): AuditEvent {
  return {
    id: 1, at: '2026-12-05T10:00:00Z', user_id: 5, username: 'annotator1', project_id: 4, action,
    object_type: 'item', object_id: '114', detail: { actor: 'annotator1', ...detail }, ...extra,
  };
}

describe('sentence', () => {
  it('says what a save changed, the status too', () => {
    const save = ev('annotations.replace', { added: 1, updated: 0, deleted: 0, status: ['labeled', 'reviewed'] });
    expect(sentence(save)).toBe(
      'annotator1 replaced the annotations of item 114 (1 added, 0 deleted; status labeled -> reviewed)',
    );
    expect(sentence(ev('annotations.replace', { added: 0, updated: 2, deleted: 1511 }))).toBe(
      'annotator1 replaced the annotations of item 114 (0 added, 2 updated, 1511 deleted)',
    );
  });

  it('words a track split and merge', () => {
    expect(sentence(ev('track.split', { track_id: 1, frame: 20, new_track_id: 3 }))).toBe(
      'annotator1 split track 1 of item 114 at frame 20 into track 1 and track 3',
    );
    expect(sentence(ev('track.merge', { track_id: 1, merged_track_id: 3, label: 'car', gap_outside_from: null }))).toBe(
      'annotator1 merged track 3 into track 1 (car) on item 114',
    );
  });

  it('words the undo of a track deletion, split and merge', () => {
    expect(sentence(ev('track.undo', { undid: 'split', track_ids: [1], removed: [3] }))).toBe(
      'annotator1 undid the split of track 1 on item 114 (track 3 removed)',
    );
    expect(sentence(ev('track.undo', { undid: 'merge', track_ids: [1, 3], removed: [] }))).toBe(
      'annotator1 undid the merge of tracks 1 and 3 on item 114',
    );
    expect(sentence(ev('track.undo', { undid: 'delete', track_ids: [3], removed: [] }))).toBe(
      'annotator1 undid the deletion of track 3 on item 114',
    );
  });

  it('words reviews, members and imports', () => {
    const reviewer = { username: 'reviewer1', user_id: 4 };
    const bulk = { ...reviewer, object_type: 'project', object_id: '4' };
    expect(sentence(ev('item.accept_proposals', { items: 12, accepted: 30, skipped: 2 }, bulk))).toBe(
      'reviewer1 accepted 30 proposals on 12 items at once (2 left open)',
    );
    expect(sentence(ev('item.reject_proposals', { items: 1, rejected: 9, label: 'anterior' }, bulk))).toBe(
      'reviewer1 rejected 9 anterior proposals on 1 item at once',
    );
    expect(sentence(ev('item.reject', { comment: 'box too loose' }, reviewer))).toBe(
      'reviewer1 rejected item 114: “box too loose”',
    );
    const member = { object_type: 'membership', object_id: '6', username: 'owner1' };
    expect(sentence(ev('member.set', { username: 'viewer1', role: 'viewer' }, member))).toBe('owner1 made viewer1 viewer');
    expect(sentence(ev('member.remove', {}, member), new Map([[6, 'viewer1']]))).toBe(
      'owner1 removed viewer1 from the project',
    );
    const imp = { object_type: 'project', object_id: '4', username: 'admin' };
    expect(sentence(ev('project.import', { format: 'coco', items_added: 8, annotations_added: 1 }, imp))).toBe(
      'admin imported 8 items and 1 annotation (coco)',
    );
  });

  it('words a pre-labelling run, and one that stopped early', () => {
    const run = { items: 6, accepted: 0, proposed: 2 };
    expect(sentence(ev('prelabel.run', run, { object_type: 'project', object_id: '4' }))).toBe(
      'annotator1 pre-labelled 6 items (0 accepted, 2 proposed)',
    );
    expect(sentence(ev('prelabel.run', { ...run, ended: 'cancelled' }, { object_type: 'project', object_id: '4' }))).toBe(
      'annotator1 pre-labelled part of 6 items (0 accepted, 2 proposed), then was cancelled',
    );
    expect(sentence(ev('prelabel.run', { ...run, ended: 'failed' }, { object_type: 'project', object_id: '4' }))).toBe(
      'annotator1 pre-labelled part of 6 items (0 accepted, 2 proposed), then failed',
    );
  });

  it('falls back to the raw action for one it does not know', () => {
    expect(sentence(ev('something.new', {}, { object_type: 'thing', object_id: null }))).toBe('annotator1 something.new thing');
  });
});

describe('team sentences', () => {
  it('words jobs ending, consensus, alerts and webhooks', () => {
    const job = { object_type: 'job', object_id: '3', username: 'admin' };
    expect(sentence(ev('job.finished', { kind: 'import', status: 'failed', error: 'bad file' }, job))).toBe(
      "admin ran job #3 (Import), which failed: bad file",
    );
    expect(sentence(ev('job.finished', { kind: 'import', status: 'succeeded' }, job))).toBe("admin ran job #3 (Import) to completion");
    const mgr = { username: 'boss', object_type: 'project', object_id: '4' };
    expect(sentence(ev('consensus.set', { overlap: 3, changed: 12 }, mgr))).toBe(
      'boss asked for 3 people to label 12 items independently',
    );
    expect(sentence(ev('consensus.set', { overlap: 0, changed: 1 }, mgr))).toBe('boss took 1 item out of consensus');
    expect(sentence(ev('consensus.submit', { submitted: true, submitted_count: 2, overlap: 3 }))).toBe(
      'annotator1 submitted their labels of item 114 (2 of 3)',
    );
    expect(sentence(ev('consensus.merge', { replicas: 3, agreement: 0.874, forced: false }))).toBe(
      'annotator1 merged the labels of 3 people on item 114 (agreement 87%)',
    );
    const system = { username: null, user_id: null, object_type: 'alert', object_id: '9' };
    expect(sentence(ev('alert.raised', { actor: 'system', title: 'item 7 was rejected 2 times' }, system))).toBe(
      'system raised an alert: item 7 was rejected 2 times',
    );
    expect(sentence(ev('alert.ack', { alert_id: 9, count: 1 }, { object_type: 'alert' }))).toBe('annotator1 acknowledged alert 9');
    expect(sentence(ev('webhook.disable', { url: 'https://ci.example/hook', reason: 'no 2xx answer' }, mgr))).toBe(
      'boss turned off the webhook to https://ci.example/hook: no 2xx answer',
    );
  });
});

describe('actorName', () => {
  it('names the system and a deleted user', () => {
    expect(actorName(ev('x', { actor: 'system' }, { username: null, user_id: null }))).toBe('system');
    expect(actorName(ev('x', { actor: 'gone' }, { username: null, user_id: null }))).toBe('gone (deleted user)');
  });
  it('names nobody for a refused login, and keeps a deleted user called anonymous', () => {
    const none = { username: null, user_id: null };
    expect(actorName(ev('auth.throttled', { actor: 'anonymous' }, none))).toBe('(not logged in)');
    expect(actorName(ev('item.approve', { actor: 'anonymous' }, none))).toBe('anonymous (deleted user)');
  });
});

describe('itemOf', () => {
  it('links events about an item that still exists', () => {
    expect(itemOf(ev('item.approve', {}))).toBe(114);
    expect(itemOf(ev('item.delete', {}))).toBeNull();
    expect(itemOf(ev('member.set', {}, { object_type: 'membership' }))).toBeNull();
  });
});
