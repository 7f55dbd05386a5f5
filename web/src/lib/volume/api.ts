/**
 * The volume routes (docs/api.md, "Volumes"): the volume's facts, one slice's raw values, the annotations of one
 * slice (`?frame=k`, as the image editor's `save` and `load`) and the fill between two slices. A 409 becomes the
 * editor's ConflictError, as in `editor/server.ts`.
 */

import { API, api, unwrap } from '../api/client';
import { ApiError, toProblem } from '../api/problem';
import { asConflict } from '../editor/server';
import { type AnnotationInput, type ApiAnnotation, type LoadFn, type SavedState, type SaveFn } from '../editor/types';
import { decodeSlice, isSliceDtype, type SliceData, type SliceDtype } from './slice';
import type { NamedWindow } from './window';

/** GET .../volume. */
export interface VolumeMeta {
  width: number;
  height: number;
  slices: number;
  /** Millimetres per voxel along the shown columns, rows and slices. */
  spacing: [number, number, number];
  dtype: SliceDtype;
  range: [number, number];
  /** Presets, the first the default. */
  windows: NamedWindow[];
  modality: string | null;
  /** Slices with annotations, ascending; `regions`: the classes with a mask or polygon there, not rejected (the
   * slices fill between slices starts from). */
  annotated: { slice: number; count: number; regions?: string[] }[];
}

type Path = { project_id: number; item_id: number };

export async function fetchVolume(projectId: number, itemId: number): Promise<VolumeMeta> {
  const path: Path = { project_id: projectId, item_id: itemId };
  const body = await unwrap(api.GET('/api/v1/projects/{project_id}/items/{item_id}/volume', { params: { path } }));
  return body as unknown as VolumeMeta;
}

/** The raw values of slice `k` (the browser's cache answers a repeat with the ETag). */
export async function fetchSlice(projectId: number, itemId: number, k: number, signal?: AbortSignal): Promise<SliceData> {
  let res: Response;
  try {
    res = await fetch(`${API}/projects/${projectId}/items/${itemId}/volume/slices/${k}`, { credentials: 'same-origin', signal });
  } catch (err) {
    if (err instanceof DOMException && err.name === 'AbortError') throw err;
    throw new ApiError(0, { detail: err instanceof Error ? err.message : String(err) });
  }
  if (!res.ok) {
    const problem: unknown = await res.json().catch(() => undefined);
    throw new ApiError(res.status, toProblem(res.status, problem));
  }
  const width = Number(res.headers.get('X-Slice-Width'));
  const height = Number(res.headers.get('X-Slice-Height'));
  const dtype = res.headers.get('X-Slice-Dtype');
  if (!isSliceDtype(dtype)) throw new Error(`Slice ${k}: the server sent values of type "${dtype ?? 'none'}", not int16 or float32`);
  return decodeSlice(await res.arrayBuffer(), width, height, dtype);
}

function asSaved(body: { version: number; annotations: unknown[] }): SavedState {
  return { version: body.version, annotations: body.annotations as ApiAnnotation[] };
}

/** The annotations of slice `k` and the item's version. */
export async function loadSlice(projectId: number, itemId: number, k: number): Promise<SavedState> {
  const path: Path = { project_id: projectId, item_id: itemId };
  return asSaved(
    await unwrap(api.GET('/api/v1/projects/{project_id}/items/{item_id}/annotations', { params: { path, query: { frame: k } } })),
  );
}

/**
 * The image editor's `save` and `load` for whichever slice `scope()` names when called: the editor saves only the
 * slice it shows (PUT ?frame=k replaces that slice's annotations, the others stay). `onsaved` hears each slice's
 * stored annotations (the slider's ticks follow them).
 */
export function sliceSaver(
  projectId: number,
  itemId: number,
  scope: () => number,
  onsaved: (k: number, saved: SavedState) => void,
): { save: SaveFn; load: LoadFn } {
  const path: Path = { project_id: projectId, item_id: itemId };
  const load: LoadFn = () => loadSlice(projectId, itemId, scope());
  const save: SaveFn = async (version: number, annotations: AnnotationInput[]) => {
    const k = scope();
    try {
      const body = await unwrap(
        api.PUT('/api/v1/projects/{project_id}/items/{item_id}/annotations', {
          params: { path, query: { frame: k } },
          body: { version, annotations: annotations as never[] },
        }),
      );
      const saved = asSaved(body);
      onsaved(k, saved);
      return saved;
    } catch (err) {
      throw asConflict(err);
    }
  };
  return { save, load };
}
