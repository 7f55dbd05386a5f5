/**
 * What the "Tag attributes" section shows for a whole-item class (an image tag, a whole-text class), free of the
 * DOM: the same rows as a shape's section (`attribute-panel.ts`), for the one tag in focus. The tag in focus is
 * the one the person last added or moved the keyboard onto; when that one is off, the first tag that is on and
 * takes attributes, so a tag's values show after a reload without any click. Proposed tags have none to show
 * (accept one first). The section (`AttributePanel.svelte`) hands changes to `EditorCore.setAttribute`.
 */

import { specsFor, type AttributeSpec } from '../attributes';
import { attributePanel, type AttributePanelModel } from './attribute-panel';
import { isProposal } from './proposals';
import type { Ann } from './types';

/** The whole-item classes that stand (neither proposed nor rejected), in the order they were added. */
function standingTags(anns: readonly Ann[]): Ann[] {
  return anns.filter((a) => a.kind === 'class' && a.label !== null && a.state !== 'rejected' && !isProposal(a));
}

/** A stored value where no declared attribute applies any more still shows (as a problem to clear). */
function hasRows(specs: readonly AttributeSpec[], a: Ann): boolean {
  return specsFor(specs, a.label).length > 0 || specs.some((s) => a.attributes[s.name] !== undefined);
}

/** The tag whose attributes show: `focused` when it stands and has any, else the first standing tag that has. */
export function tagInFocus(specs: readonly AttributeSpec[], anns: readonly Ann[], focused: string | null): Ann | null {
  const tags = standingTags(anns).filter((a) => hasRows(specs, a));
  return tags.find((a) => a.label === focused) ?? tags[0] ?? null;
}

/** The section's picture for the tag in focus, or null when no standing tag takes an attribute (no section). */
export function tagAttributePanel(
  specs: readonly AttributeSpec[],
  anns: readonly Ann[],
  focused: string | null,
): AttributePanelModel | null {
  const tag = tagInFocus(specs, anns, focused);
  if (!tag) return null;
  const model = attributePanel(specs, [tag]);
  return model.rows.length === 0 ? null : model;
}
