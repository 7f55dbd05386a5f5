/** The text editor's programmatic handle, handed to `onready` (the item page puts it on `window.__textEditor`). */

import type { EditorCore, SaveStatus } from '../editor/core';
import type { AnnotationInput } from '../editor/types';
import type { Range } from './offsets';

export interface TextEditorState {
  version: number;
  saveStatus: SaveStatus;
  selected: string | null;
  selectedId: number | null;
  canUndo: boolean;
  canRedo: boolean;
  conflict: boolean;
  /** Text selected and waiting for a label (code points). */
  pending: Range | null;
  active: string | null;
}

export interface TextEditorApi {
  core: EditorCore;
  annotations: () => AnnotationInput[];
  state: () => TextEditorState;
  flush: () => Promise<void>;
  /** Selects characters [start, end) (code points), as a mouse selection would. */
  selectText: (start: number, end: number) => void;
}

declare global {
  interface Window {
    __textEditor?: TextEditorApi;
  }
}
