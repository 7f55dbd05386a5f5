/** The video editor: the component, its handle, and the pure modules it is built from. */

export { default as VideoEditor } from './VideoEditor.svelte';
export type { VideoEditorApi, VideoEditorState } from './api';
export { trackServer } from './server';
export type { Track, TrackServer, TrackSet, VideoItem } from './types';
