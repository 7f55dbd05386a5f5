// Before a reviewer's decision the editors' own work must be on the server, and the decision names the version the
// reviewer saw (the server answers 409 when someone saved since).

import type { EditorCore } from "../editor";
import { notify } from "../toasts.svelte";
import type { VideoEditorApi } from "../video";

export interface Editors {
  /** The image or text editor's handle, when one is mounted. */
  handle: { core: EditorCore; flush: () => Promise<void> } | null;
  video: VideoEditorApi | null;
}

/** Save what the editors hold; false (with a message) when a save failed or conflicts, so nothing is decided. */
export async function editorsSaved({ handle, video }: Editors): Promise<boolean> {
  if (handle) {
    await handle.flush();
    const st = handle.core.saveStatus;
    if (st === "conflict" || st === "error") {
      notify("error", "Your changes are not saved", "Settle the save problem in the editor, then decide.");
      return false;
    }
  }
  if (video) {
    await video.settled();
    if (video.session.conflict) {
      notify("error", "Your last change is not saved", "Settle the conflict in the editor, then decide.");
      return false;
    }
  }
  return true;
}

/** The item version the reviewer saw: the editor's (its saves move it), else the item's. */
export function seenVersion({ handle, video }: Editors, itemVersion: number): number {
  return handle ? handle.core.version : video ? video.session.version : itemVersion;
}

/** After a decision only the status moved, not the annotations: the editors' copy is current at the new version. */
export function adoptDecision({ handle, video }: Editors, before: number, after: number): void {
  if (after !== before + 1) return;
  if (handle && handle.core.version === before) handle.core.version = after;
  if (video && video.session.version === before) video.session.version = after;
}
