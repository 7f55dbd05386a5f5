/**
 * "Fill between slices": the server interpolates the masks of a class between two slices that have one (POST
 * .../volume/fill) and stores them as proposals. Here: which two slices to offer around the slice on screen, and
 * the call (a 409 becomes the editor's ConflictError).
 */

import { api, unwrap } from '../api/client';
import { ApiError } from '../api/problem';
import { ConflictError } from '../editor/types';

/**
 * The slices to fill between, offered for slice `k`: the nearest annotated slices below and above it (`k` itself
 * counts as below when annotated); on an annotated slice with nothing annotated above, the nearest below and
 * `k`. Null when there is no such pair at least two slices apart.
 */
export function fillRange(annotated: readonly number[], k: number): [number, number] | null {
  const sorted = [...annotated].sort((a, b) => a - b);
  const below = sorted.filter((s) => s <= k).pop();
  const above = sorted.find((s) => s > k);
  if (below !== undefined && above !== undefined && above - below >= 2) return [below, above];
  if (sorted.includes(k)) {
    const under = sorted.filter((s) => s < k).pop();
    if (under !== undefined && k - under >= 2) return [under, k];
  }
  return null;
}

/** The classes with a region in `list` (one slice's annotations): a mask or polygon that is not rejected (what
 * the server fills from, `GET .../volume`'s `regions`), sorted, each once. */
export function regionLabels(list: readonly { kind: string; label: string | null; state?: string }[]): string[] {
  const regions = list.filter((a) => (a.kind === 'mask' || a.kind === 'polygon') && a.state !== 'rejected' && a.label !== null);
  return [...new Set(regions.map((a) => a.label!))].sort();
}

/** The slices whose classes (`regions`: slice -> classes with a region) include `label`, ascending. */
export function slicesWith(regions: ReadonlyMap<number, readonly string[]>, label: string | null): number[] {
  if (label === null) return [];
  return [...regions].filter(([, labels]) => labels.includes(label)).map(([k]) => k).sort((a, b) => a - b);
}

export interface FillResult {
  version: number;
  filled: number[];
}

export async function fillBetween(
  projectId: number,
  itemId: number,
  body: { label: string; from_slice: number; to_slice: number; version: number },
): Promise<FillResult> {
  try {
    return await unwrap(
      api.POST('/api/v1/projects/{project_id}/items/{item_id}/volume/fill', {
        params: { path: { project_id: projectId, item_id: itemId } },
        body,
      }),
    );
  } catch (err) {
    if (err instanceof ApiError && err.status === 409) {
      const current = err.problem.current_version;
      throw new ConflictError(err.message, typeof current === 'number' ? current : null);
    }
    throw err;
  }
}
