/**
 * The image editor's keyboard shortcuts in one place: the key handler reads the key table, and the help
 * overlay (`?`) the list. The keys both editors share (undo, proposals, items, ...) come from `keys.ts`.
 */

import { keymap, type HelpEntry, type KeyLike, type SharedAction } from './keys';

export type Action =
  | SharedAction
  | 'tool.select'
  | 'tool.box'
  | 'tool.polygon'
  | 'tool.grabcut'
  | 'tool.brush'
  | 'tool.eraser'
  | 'tool.keypoints'
  | 'keypoint.skip'
  | 'keypoint.visibility'
  | 'zoom.in'
  | 'zoom.out'
  | 'zoom.fit'
  | 'zoom.actual'
  | 'shape.next'
  | 'shape.prev'
  | 'enter'
  | 'shapes.toggle'
  | 'select.all'
  | 'clip.copy'
  | 'clip.cut'
  | 'clip.paste'
  | 'convert.mask'
  | 'convert.polygon';

export interface Shortcut extends HelpEntry {
  group: 'Tools' | 'Labels' | 'Edit' | 'Proposals' | 'View' | 'Items';
  action?: Action;
}

export const SHORTCUTS: readonly Shortcut[] = [
  { keys: ['V'], description: 'Select and edit', group: 'Tools', action: 'tool.select' },
  { keys: ['B'], description: 'Draw boxes (drag)', group: 'Tools', action: 'tool.box' },
  { keys: ['G'], description: 'Draw polygons (click points)', group: 'Tools', action: 'tool.polygon' },
  {
    keys: ['S'],
    description: 'Box → polygon: drag a box round an object, the server cuts out its outline (GrabCut)',
    group: 'Tools',
    action: 'tool.grabcut',
  },
  { keys: ['M'], description: 'Mask brush: paint the selected mask of the current class, or a new one (drag)', group: 'Tools', action: 'tool.brush' },
  { keys: ['E'], description: 'Mask eraser: remove pixels from the selected mask (or the one the stroke starts on)', group: 'Tools', action: 'tool.eraser' },
  { keys: ['[', ']'], description: 'Smaller / larger brush (with the brush or eraser; else previous / next proposal)', group: 'Tools' },
  {
    keys: ['Shift+click (Brush, Eraser)'],
    description: 'Outline a polygon to fill (brush) or clear (eraser): click its points, then the first point or Enter; Backspace removes a point, Esc cancels',
    group: 'Tools',
  },
  {
    keys: ['K'],
    description: "Keypoints: click the class's named points in order (the status line names the next); with one instance selected, click its missing points",
    group: 'Tools',
    action: 'tool.keypoints',
  },
  { keys: ['U (Keypoints tool)'], description: 'Skip the next point (not labelled); Enter finishes the instance, Esc cancels it', group: 'Tools', action: 'keypoint.skip' },
  { keys: ['O'], description: 'Step the selected keypoint: visible → occluded → not labelled (click a point to select it; drag to move it)', group: 'Edit', action: 'keypoint.visibility' },
  { keys: ['Drag an edge (keypoints)'], description: 'Move the whole keypoints instance (arrow keys too); drag a point to move only that point', group: 'Edit' },
  {
    keys: ['Enter (Polygon tool)'],
    description: 'Draw a polygon with the keys: a crosshair shows in the middle of the view',
    group: 'Tools',
  },
  {
    keys: ['Arrow keys (crosshair)', 'Shift+arrow'],
    description: 'Move the crosshair 1 px (Shift: 10 px); the view follows it',
    group: 'Tools',
  },
  { keys: ['Space (crosshair)'], description: 'Add a polygon point at the crosshair', group: 'Tools' },
  { keys: ['Enter', 'Double-click'], description: 'Close the polygon being drawn', group: 'Tools', action: 'enter' },
  { keys: ['Backspace'], description: 'Remove the last point of the polygon being drawn', group: 'Tools' },
  { keys: ['Esc'], description: 'Cancel drawing, or clear the selection', group: 'Tools', action: 'escape' },
  { keys: ['1 – 9'], description: 'Choose the label (relabels every selected shape)', group: 'Labels' },
  { keys: ['Ctrl+Z'], description: 'Undo', group: 'Edit', action: 'undo' },
  { keys: ['Ctrl+Shift+Z', 'Ctrl+Y'], description: 'Redo', group: 'Edit', action: 'redo' },
  { keys: ['Delete', 'Backspace'], description: 'Delete the selected shapes', group: 'Edit', action: 'delete' },
  {
    keys: ['Shift+click', 'Ctrl+click'],
    description: 'Add a shape (a keypoints instance by a point or an edge) to the selection, or take it out (Select tool); the last picked shows its handles',
    group: 'Edit',
  },
  { keys: ['Shift+drag'], description: 'Select the shapes lying wholly inside the band (Select tool; it may start on a shape)', group: 'Edit' },
  { keys: ['Ctrl+A'], description: 'Select every visible shape', group: 'Edit', action: 'select.all' },
  { keys: ['Ctrl+C'], description: 'Copy the selected shapes (they stay copied on the next item)', group: 'Edit', action: 'clip.copy' },
  { keys: ['Ctrl+X'], description: 'Cut the selected shapes (copy and delete, one undo step)', group: 'Edit', action: 'clip.cut' },
  {
    keys: ['Ctrl+V'],
    description:
      'Paste the copied shapes as your own, selected: at the same pixels on another item, 10 px further on each ' +
      'paste where they are already; moved inside an image of another size',
    group: 'Edit',
    action: 'clip.paste',
  },
  {
    keys: ['Tab', 'Shift+Tab'],
    description:
      'Select the next / previous shape (on the canvas; on a control Tab moves focus: the tools and the label ' +
      'list are one stop each, arrow keys inside)',
    group: 'Edit',
    action: 'shape.next',
  },
  {
    keys: ['Arrow keys', 'Shift+arrow'],
    description:
      'Move the selected box, polygon or keypoints instance 1 px (Shift: 10 px; with several selected, the last picked only); with nothing ' +
      'selected, ← and → change items',
    group: 'Edit',
  },
  { keys: ['Ctrl+arrow', 'Ctrl+Shift+arrow'], description: 'Resize the selected box from its right and bottom edges', group: 'Edit' },
  { keys: ['Enter (Box tool)'], description: 'Add a box in the middle of the view, to move and resize with the keys', group: 'Tools' },
  { keys: ['Drag handle'], description: 'Resize a box (8 handles) or move a polygon point', group: 'Edit' },
  { keys: ['Alt+click point'], description: 'Remove a polygon point', group: 'Edit' },
  { keys: ['Double-click edge'], description: 'Add a point to the selected polygon', group: 'Edit' },
  { keys: ['Click again'], description: 'Select the next shape stacked under the pointer', group: 'Edit' },
  {
    keys: ['Shift+M'],
    description: 'Convert the selected box or polygon to a mask of its pixels (same class, attributes and place)',
    group: 'Edit',
    action: 'convert.mask',
  },
  {
    keys: ['Shift+G'],
    description: 'Convert the selected mask to polygons, one per region (holes filled in, regions under 5 px left out)',
    group: 'Edit',
    action: 'convert.polygon',
  },
  { keys: ['Ctrl+S'], description: 'Save now (autosave runs after every change)', group: 'Edit', action: 'save' },
  { keys: ['A'], description: 'Accept the selected proposal', group: 'Proposals', action: 'accept' },
  { keys: ['X'], description: 'Reject the selected proposal', group: 'Proposals', action: 'reject' },
  { keys: [']', '['], description: 'Select the next / previous proposal', group: 'Proposals', action: 'proposal.next' },
  { keys: ['R'], description: 'Show or hide rejected proposals', group: 'Proposals', action: 'rejected.toggle' },
  { keys: ['Wheel', '+', '−'], description: 'Zoom in / out', group: 'View', action: 'zoom.in' },
  { keys: ['F'], description: 'Fit the image', group: 'View', action: 'zoom.fit' },
  { keys: ['0'], description: 'Actual pixels (100 %)', group: 'View', action: 'zoom.actual' },
  { keys: ['Space+drag', 'Middle drag'], description: 'Pan', group: 'View' },
  { keys: ['H'], description: 'Hide or show all shapes', group: 'View', action: 'shapes.toggle' },
  { keys: ['?'], description: 'This help', group: 'View', action: 'help' },
  {
    keys: ['F6', 'Shift+F6'],
    description: 'Next / previous region: canvas, toolbar, each side panel section, top bar (Esc: back to the canvas)',
    group: 'View',
  },
  {
    keys: ['N', '→'],
    description: 'Next item (saves first; → when no shape is selected and focus is not in a list, whose rows → steps through)',
    group: 'Items',
    action: 'item.next',
  },
  {
    keys: ['P', '←'],
    description: 'Previous item (saves first; ← when no shape is selected and focus is not in a list)',
    group: 'Items',
    action: 'item.prev',
  },
];

const IMAGE_KEYS = keymap<Action>({
  plain: {
    v: 'tool.select',
    b: 'tool.box',
    g: 'tool.polygon',
    s: 'tool.grabcut',
    m: 'tool.brush',
    e: 'tool.eraser',
    k: 'tool.keypoints',
    u: 'keypoint.skip',
    o: 'keypoint.visibility',
    '+': 'zoom.in',
    '=': 'zoom.in',
    '-': 'zoom.out',
    _: 'zoom.out',
    f: 'zoom.fit',
    '0': 'zoom.actual',
    Enter: 'enter',
    h: 'shapes.toggle',
  },
  tab: ['shape.next', 'shape.prev'],
});

/** Keys the editor itself uses: a class hotkey on one of these is ignored (`../classHotkeys.ts` says so in the settings). */
export const RESERVED_KEYS: ReadonlySet<string> = IMAGE_KEYS.reserved;

const ARROWS: Readonly<Record<string, readonly [number, number]>> = {
  ArrowLeft: [-1, 0],
  ArrowRight: [1, 0],
  ArrowUp: [0, -1],
  ArrowDown: [0, 1],
};

/** What an arrow key does to a selected shape: the offset in image pixels (Shift: 10) and whether Ctrl (or Cmd)
 * makes it a resize; null for any other key, or with Alt (the browser's back and forward). */
export function nudgeFor(e: KeyLike): { dx: number; dy: number; resize: boolean } | null {
  const dir = ARROWS[e.key];
  if (!dir || e.altKey) return null;
  const step = e.shiftKey ? 10 : 1;
  return { dx: dir[0] * step, dy: dir[1] * step, resize: e.ctrlKey || e.metaKey };
}

/** The image editor's own Ctrl (Cmd) keys: the shared table knows Ctrl only for undo, redo and save. */
const CTRL_KEYS: Readonly<Record<string, Action>> = { a: 'select.all', c: 'clip.copy', x: 'clip.cut', v: 'clip.paste' };

/** The image editor's Shift+letter keys: the plain letter is a tool's (M the brush, G the polygon), Shift with it
 * converts the selected shape to that tool's kind. No class hotkey can take them (the plain letters are reserved). */
const SHIFT_KEYS: Readonly<Record<string, Action>> = { m: 'convert.mask', g: 'convert.polygon' };

/** The action for a key press, or null. Class hotkeys are looked up separately (`labelForKey`). */
export function actionFor(e: KeyLike): Action | null {
  if ((e.ctrlKey || e.metaKey) && !e.altKey && !e.shiftKey) {
    const own = CTRL_KEYS[e.key.toLowerCase()];
    if (own) return own;
  }
  if (e.shiftKey && !e.ctrlKey && !e.metaKey && !e.altKey) {
    const own = SHIFT_KEYS[e.key.toLowerCase()];
    if (own) return own;
  }
  return IMAGE_KEYS.actionFor(e);
}

/** Hotkey -> class name, for the classes whose hotkey does not clash with an editor shortcut. */
export const labelHotkeys = IMAGE_KEYS.hotkeys;

export { labelForKey, type KeyLike } from './keys';
