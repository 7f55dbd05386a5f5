/** The text editor: the component, its handle, and the pure modules it is built from. */

export { default as TextEditor } from './TextEditor.svelte';
export type { TextEditorApi, TextEditorState } from './api';
export { CharIndex, selectionToRange, spanRange, type Range } from './offsets';
export { layoutSpans, type Run } from './layout';
