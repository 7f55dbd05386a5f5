/**
 * The editor's `save` and `load` for the real API, through the app's generated client: the item route mounts
 * `<Editor>` with `itemSaver(projectId, itemId)`. This is the one place where the API's 409 becomes the
 * editor's ConflictError; other failures stay ApiErrors, whose `status` tells autosave whether to retry.
 */

import { api, mediaUrl, unwrap } from '../api/client';
import { ApiError } from '../api/problem';
import {
  ConflictError,
  type AnnotationInput,
  type ApiAnnotation,
  type EditorItem,
  type LoadFn,
  type SavedState,
  type SaveFn,
  type SegmentFn,
  type Standing,
} from './types';

type Body = { version: number; annotations: unknown[] };

function asSaved(body: Body): SavedState {
  // The generated types spell geometry as a free-form object; the editor reads bbox/points from it.
  return { version: body.version, annotations: body.annotations as ApiAnnotation[] };
}

export function itemSaver(projectId: number, itemId: number): { save: SaveFn; load: LoadFn } {
  const path = { project_id: projectId, item_id: itemId };
  const load: LoadFn = async () =>
    asSaved(await unwrap(api.GET('/api/v1/projects/{project_id}/items/{item_id}/annotations', { params: { path } })));
  const save: SaveFn = async (version: number, annotations: AnnotationInput[]) => {
    try {
      const body = await unwrap(
        api.PUT('/api/v1/projects/{project_id}/items/{item_id}/annotations', {
          params: { path },
          body: { version, annotations: annotations as never[] },
        }),
      );
      return asSaved(body);
    } catch (err) {
      throw asConflict(err);
    }
  };
  return { save, load };
}

/** The API's 409 as the editor's ConflictError (with the server's version); any other error as it is. */
export function asConflict(err: unknown): unknown {
  if (err instanceof ApiError && err.status === 409) {
    const current = err.problem.current_version;
    return new ConflictError(err.message, typeof current === 'number' ? current : null);
  }
  return err;
}

/** The "Box → polygon" tool's segmenter for the real API: GrabCut on the server, `[[x, y], ...]` flattened. */
export function itemSegmenter(projectId: number, itemId: number): SegmentFn {
  return async (box) => {
    const body = await unwrap(
      api.POST('/api/v1/projects/{project_id}/items/{item_id}/grabcut', {
        params: { path: { project_id: projectId, item_id: itemId } },
        body: { box },
      }),
    );
    return body.polygon.flat();
  };
}

/** The editor's item from the API's item and the version its annotations were read at. */
export function editorItem(
  item: { id: number; project_id: number; name: string; width: number | null; height: number | null; media_key?: string | null },
  version: number,
): EditorItem {
  return {
    id: item.id,
    projectId: item.project_id,
    name: item.name,
    width: item.width ?? 1,
    height: item.height ?? 1,
    // An item imported without media has none to ask for (the request would only be refused).
    mediaUrl: item.media_key === null ? null : mediaUrl(item.project_id, item.id),
    version,
  };
}

/** The user's standing from the project's `role` (null for administrators, who are not members). */
export function standingOf(role: Standing | null | undefined, isAdmin: boolean): Standing {
  if (isAdmin) return 'admin';
  return role ?? 'viewer';
}
