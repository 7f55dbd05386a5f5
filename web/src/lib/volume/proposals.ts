/**
 * All the proposals of one class across a volume (a whole fill between slices, or a model's masks): counted, then
 * accepted or rejected at once by the bulk route (POST /items/accept-proposals, reviewers), narrowed to the class.
 */

import { api, unwrap } from '../api/client';
import { count } from '../plural';

type Body = { item_ids: number[]; label: string; reject?: boolean; dry_run?: boolean };

async function post(projectId: number, body: Body): Promise<{ accepted: number; rejected?: number }> {
  return unwrap(
    api.POST('/api/v1/projects/{project_id}/items/accept-proposals', { params: { path: { project_id: projectId } }, body }),
  );
}

/** The open proposals of `label` on the volume, every slice. */
export async function countOpen(projectId: number, itemId: number, label: string): Promise<number> {
  return (await post(projectId, { item_ids: [itemId], label, dry_run: true })).accepted;
}

/** Accept (or reject) every open proposal of `label` on the volume; returns how many changed. */
export async function decideAll(projectId: number, itemId: number, label: string, reject: boolean): Promise<number> {
  const r = await post(projectId, { item_ids: [itemId], label, reject });
  return reject ? (r.rejected ?? 0) : r.accepted;
}

/** The toast after a decision over the volume. */
export function decidedSaid(n: number, label: string, reject: boolean): string {
  if (n === 0) return `No open ${label} proposals on this volume`;
  return `${reject ? 'Rejected' : 'Accepted'} ${count(n, `${label} proposal`)} on every slice`;
}
