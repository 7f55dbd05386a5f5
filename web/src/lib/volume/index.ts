/** The volume editor: the image editor on one slice at a time, and the pure modules it is built from. */

import type { EditorApi } from '../editor/api';
import type { WindowLevel } from './window';

export { default as VolumeEditor } from './VolumeEditor.svelte';

/** What the item page puts on `window.__volumeEditor` (the e2e tests read it). */
export interface VolumeEditorHandle {
  editor: EditorApi;
  state: () => { slice: number; target: number; slices: number; window: WindowLevel | null; preset: string | null; annotated: number[] };
}

declare global {
  interface Window {
    __volumeEditor?: VolumeEditorHandle;
  }
}
