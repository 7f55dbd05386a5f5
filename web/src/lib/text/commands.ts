/**
 * What the text editor's keys and clicks do, on top of the shared EditorCore: the decisions are pure
 * functions (tested without a browser), the edits go through `core.commit`, so they are undoable and
 * autosaved like any other.
 */

import { defaultsFor } from '../attributes';
import type { EditorCore } from '../editor/core';
import type { Range } from './offsets';
import { addSpan } from './spans';

export type LabelIntent = 'span' | 'relabel' | 'class' | 'activate' | 'select-first';

/**
 * A label key or a click on a label: a span for the selected text; else relabel the selected span; else a key
 * toggles the whole-text class (when the project has them) and a click makes the label the active one.
 */
export function labelIntent(s: { pending: boolean; spanSelected: boolean; fromKey: boolean; allowsClass: boolean }): LabelIntent {
  if (s.pending) return 'span';
  if (s.spanSelected) return 'relabel';
  if (!s.fromKey) return 'activate';
  return s.allowsClass ? 'class' : 'select-first';
}

/**
 * Adds a span over `r` as one undoable step, with the label's attribute defaults; says why when it cannot.
 * Returns the new span's key.
 */
export function labelSpan(core: EditorCore, r: Range, label: string): string | null {
  if (!core.allows('span')) {
    core.notify('This project does not allow text spans', 'warn');
    return null;
  }
  const res = addSpan(core.anns, r, label, defaultsFor(core.specs, label));
  if ('error' in res) {
    core.notify(res.error, 'warn');
    return null;
  }
  return core.commit(res.list, `label ${label}`) ? res.key : null;
}

/**
 * A click on nested spans (keys innermost first): the innermost one, or, when one of them is selected, the one
 * around it (so clicking again on the same spot walks outwards, then starts over).
 */
export function pickInStack(keys: readonly string[], selected: string | null): string | null {
  if (keys.length === 0) return null;
  const at = selected === null ? -1 : keys.indexOf(selected);
  return at >= 0 && at + 1 < keys.length ? (keys[at + 1] as string) : (keys[0] as string);
}
