/** The image editor: the component, and the pure modules it is built from (for tests and the app). */

export { default as Editor } from './Editor.svelte';
export type { EditorApi, EditorStateSummary } from './api';
export { EditorCore, type SaveStatus } from './core';
export { fromApi, toInput } from './annotations';
export {
  ConflictError,
  isConflict,
  type Ann,
  type AnnotationInput,
  type ApiAnnotation,
  type EditorItem,
  type EditorProps,
  type LabelClass,
  type LabelSchema,
  type LoadFn,
  type SavedState,
  type SaveFn,
  type SegmentFn,
  type Standing,
} from './types';
export { editorItem, itemSaver, itemSegmenter, standingOf } from './server';
