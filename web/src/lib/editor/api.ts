/** The editor's programmatic handle, handed to `onready` (the harness and tests put it on `window.__editor`). */

import type { EditorCore, SaveStatus } from './core';
import type { AnnotationInput, Tool } from './types';
import type { CanvasView } from './view';

export interface EditorStateSummary {
  version: number;
  saveStatus: SaveStatus;
  selected: string | null;
  selectedId: number | null;
  /** Every selected annotation's key (the primary last) and server id (null: not saved yet). */
  selectedKeys: string[];
  selectedIds: (number | null)[];
  tool: Tool;
  zoom: number;
  canUndo: boolean;
  canRedo: boolean;
  conflict: boolean;
  /** Annotations added, removed or changed since the server's copy. */
  unsaved: number;
}

export interface EditorApi {
  core: EditorCore;
  view: CanvasView;
  /** The annotation list as a save would send it. */
  annotations: () => AnnotationInput[];
  state: () => EditorStateSummary;
  /** Save now and wait. */
  flush: () => Promise<void>;
}

/** What both editors' `state()` report about the core. */
export function coreState(core: EditorCore): Omit<EditorStateSummary, 'tool' | 'zoom'> {
  return {
    version: core.version,
    saveStatus: core.saveStatus,
    selected: core.selectedKey,
    selectedId: core.selectedKey === null ? null : core.idOf(core.selectedKey),
    selectedKeys: [...core.selectedKeys],
    selectedIds: [...core.selectedKeys].map((k) => core.idOf(k)),
    canUndo: core.history.canUndo,
    canRedo: core.history.canRedo,
    conflict: core.conflict !== null,
    unsaved: core.unsavedCount,
  };
}
