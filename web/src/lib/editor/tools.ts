/** The image editor's drawing tools as the toolbar lists them: name, key and the status line's hint. */

import type { EditorUi } from './snapshot';
import type { Tool } from './types';

export const TOOLS = [
  { tool: 'select', name: 'Select', key: 'V', hint: 'Click to select · Shift+click adds · Shift+drag selects inside · drag to move · drag empty space to pan' },
  { tool: 'box', name: 'Box', key: 'B', hint: 'Drag to draw a box · drag a handle to resize' },
  { tool: 'polygon', name: 'Polygon', key: 'G', hint: 'Click to add points (keyboard: Enter) · Enter or double-click to close · Esc cancels' },
  { tool: 'grabcut', name: 'Box → polygon', key: 'S', hint: 'Drag a box round one object · its outline becomes a polygon (Ctrl+Z undoes)' },
  { tool: 'brush', name: 'Brush', key: 'M', hint: 'Paint a mask: the selected one of this class, the one under the pointer, or a new one · [ ] size · Shift+click points, Enter: fill a polygon' },
  { tool: 'eraser', name: 'Eraser', key: 'E', hint: 'Erase from the selected mask (or the one the stroke starts on) · [ ] size · Shift+click points, Enter: clear a polygon' },
  { tool: 'keypoints', name: 'Keypoints', key: 'K', hint: "Click the class's points in order (or the selected instance's missing ones) · U skips one · Enter finishes · Esc cancels" },
] as const satisfies readonly { tool: Tool; name: string; key: string; hint: string }[];

/** Whether a tool's button is off: every tool but Select needs an editing role and its kind allowed by the project. */
export function toolDisabled(
  tool: Tool,
  ui: Pick<EditorUi, 'readonly' | 'allowsBox' | 'allowsPolygon' | 'allowsMask'>,
  allowsKeypoints: boolean,
): boolean {
  if (tool === 'select') return false;
  if (ui.readonly) return true;
  if (tool === 'box') return !ui.allowsBox;
  if (tool === 'brush' || tool === 'eraser') return !ui.allowsMask;
  if (tool === 'keypoints') return !allowsKeypoints;
  return !ui.allowsPolygon;
}
