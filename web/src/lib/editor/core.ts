/**
 * The editor's document and commands, free of the DOM: the annotation list, selection, undo and redo, model
 * proposals, and autosave with the item's version check. The canvas view and the Svelte component drive it;
 * tests drive it directly with a fake `save` and fake timers.
 *
 * `EditorCore` is built in layers, one concept per module: `core-state.ts` (the list, reading it, events,
 * undo and redo), `core-save.ts` (autosave and conflicts), `core-proposals.ts` (proposal decisions),
 * `core-selection.ts` (selecting), `core-masks.ts` (the brush and eraser, converting shapes to masks and back), and
 * here the editing commands.
 */

import { appliesTo, defaultsFor, relabelled, valueProblem, type AttributeValue } from '../attributes';
import { count } from '../plural';
import { newAnnotation } from './annotations';
import { currentClip, keepClip, planPaste } from './clipboard';
import { MaskCore } from './core-masks';
import { nudged, rectToBox, round2, segmentTooSmall } from './geometry';
import { isSelectable, nudgedKeypoints } from './keypoint-shapes';
import { isMaskTool } from './mask-tool';
import { TOO_FEW_POINTS } from './polygonKeys';
import { isProposal } from './proposals';
import { SegmentRefusal, type Ann, type Geometry, type Rect, type Tool } from './types';

export type { ConflictInfo, CoreOptions, MergeView, Notice, SaveStatus, Timers } from './core-state';
export type { ConflictRow } from './merge-describe';
export type { Side } from './merge';

export class EditorCore extends MaskCore {
  // ---- view state ------------------------------------------------------------------------------------------

  setTool(tool: Tool): void {
    if (tool !== 'select' && this.readonly) return this.notify('This item is read-only for you', 'warn');
    if (tool === 'grabcut' && !this.canSegment) return this.notify('Box → polygon is not available here', 'warn');
    const kind = tool === 'box' ? 'box' : isMaskTool(tool) ? 'mask' : tool === 'keypoints' ? 'keypoints' : 'polygon';
    if (tool !== 'select' && !this.allows(kind)) {
      return this.notify(`This project does not allow ${kind === 'box' ? 'boxes' : kind === 'mask' ? 'masks' : kind === 'keypoints' ? 'keypoints' : 'polygons'}`, 'warn');
    }
    this.tool = tool;
    // A drawing tool starts a new shape: drop the selection, so that a class key picks the new shape's class
    // instead of relabelling whatever was selected (after a reject, the next proposal is). The brush and the
    // eraser keep a lone selected mask: it is the one they edit, so the brush takes its class; the Keypoints tool
    // keeps a lone keypoints instance, whose missing points it places (`keypoint-fill.ts`).
    const lone = this.selectedKeys.size === 1 ? this.selected : undefined;
    const kept = lone && ((isMaskTool(tool) && lone.kind === 'mask') || (tool === 'keypoints' && lone.kind === 'keypoints')) ? lone : null;
    if (kept?.label) this.currentLabel = kept.label;
    else if (tool !== 'select' && !kept) this.selectedKey = null;
    this.emit();
  }

  /**
   * Pick the label for new shapes; with shapes selected, relabel them all too (one undo step). Values the new class
   * does not take are dropped (the server would refuse the save), its defaults filled in.
   */
  chooseLabel(name: string): void {
    if (!this.colors.has(name)) return;
    this.currentLabel = name;
    const keys = this.selectedKeys;
    let changed = 0;
    if (keys.size > 0 && !this.readonly) {
      const next = this.anns.map((a) => {
        if (!keys.has(a.key) || a.kind === 'class' || a.label === name) return a;
        changed += 1;
        return this.edited(a, { label: name, attributes: relabelled(this.specs, a.attributes, name) });
      });
      const what = changed === 1 ? '' : ` ${count(changed, 'shape')}`;
      if (changed > 0 && this.commit(next, `relabel${what} to ${name}`)) return;
    }
    this.emit();
  }

  toggleLabelHidden(name: string): void {
    if (this.hiddenLabels.has(name)) this.hiddenLabels.delete(name);
    else this.hiddenLabels.add(name);
    this.keepVisibleSelected();
    this.emit();
  }

  setShowRejected(on: boolean): void {
    this.showRejected = on;
    this.keepVisibleSelected();
    this.emit();
  }

  toggleShapesHidden(): void {
    this.shapesHidden = !this.shapesHidden;
    this.emit();
  }

  setThreshold(v: number): void {
    this.threshold = Math.min(1, Math.max(0, v));
    this.emit();
  }

  // ---- edits ---------------------------------------------------------------------------------------------

  private replace(key: string, ann: Ann, label: string): boolean {
    const i = this.anns.findIndex((a) => a.key === key);
    if (i < 0) return false;
    const next = this.anns.slice();
    next[i] = ann;
    return this.commit(next, label);
  }

  addBox(r: Rect): string | null {
    if (!this.allows('box')) return (this.notify('This project does not allow boxes', 'warn'), null);
    const label = this.labelForNew();
    if (label === false) return null;
    const a = newAnnotation('box', { bbox: rectToBox(r) }, label, defaultsFor(this.specs, label));
    return this.commit([...this.anns, a], 'draw box', a.key) ? a.key : null;
  }

  addPolygon(points: readonly number[]): string | null {
    if (!this.allows('polygon')) return (this.notify('This project does not allow polygons', 'warn'), null);
    if (points.length < 6) return (this.notify(TOO_FEW_POINTS, 'warn'), null);
    const label = this.labelForNew();
    if (label === false) return null;
    const a = newAnnotation('polygon', { points: points.map(round2) }, label, defaultsFor(this.specs, label));
    return this.commit([...this.anns, a], 'draw polygon', a.key) ? a.key : null;
  }

  /** Whether the "Box → polygon" tool can run: an editable item, polygons allowed and a segmenter given. */
  get canSegment(): boolean {
    return !this.readonly && this.allows('polygon') && this.segmentFn !== undefined;
  }

  /**
   * Box to polygon: asks the segmenter for the outline of the object in `r` and adds it as a polygon of the
   * current label (one undoable step). Resolves with the new key, or null when nothing was added; rejects with
   * the segmenter's error (the caller shows it) after noting it in the status line. A box the server would refuse
   * for its size (any drag under 4 px a side) rejects with a `SegmentRefusal` in the server's words, unasked.
   */
  async segmentBox(r: Rect): Promise<string | null> {
    if (!this.canSegment || !this.segmentFn) return (this.notify('Box → polygon is not available here', 'warn'), null);
    if (this.segmenting) return (this.notify('Still finding the outline of the last box', 'warn'), null);
    const box = [r.x1, r.y1, r.x2, r.y2].map(round2) as [number, number, number, number];
    const small = segmentTooSmall(box);
    if (small !== null) {
      this.notify(small, 'warn');
      throw new SegmentRefusal(small);
    }
    const label = this.labelForNew();
    if (label === false) return null;
    this.segmenting = true;
    this.emit();
    let points: number[];
    try {
      points = await this.segmentFn(box);
    } catch (err) {
      this.segmenting = false;
      this.notify('Could not turn the box into a polygon', 'error');
      throw err;
    }
    this.segmenting = false;
    if (points.length < 6) return (this.notify('No outline found in that box', 'warn'), null);
    const a = newAnnotation('polygon', { points: points.map(round2) }, label, defaultsFor(this.specs, label));
    if (this.commit([...this.anns, a], 'box → polygon', a.key)) return a.key;
    this.emit();
    return null;
  }

  /**
   * The arrow keys on the selected shape (the primary only, with several selected: as in CVAT and Label Studio): move it by (dx, dy) image pixels, or with `resize` move a box's right
   * and bottom edges; it stays inside the image. The keyboard's way to do what a drag does (one undo step each).
   */
  nudgeSelected(dx: number, dy: number, resize = false): boolean {
    const a = this.selected;
    if (!a || this.readonly || !isSelectable(a)) return false;
    const { width, height } = this.item;
    const g = a.kind === 'keypoints' ? (resize ? null : nudgedKeypoints(a.geometry, dx, dy, width, height)) : nudged(a, dx, dy, resize, width, height);
    return g !== null && this.setGeometry(a.key, g, resize ? 'resize box (keys)' : 'move (keys)');
  }

  setGeometry(key: string, geometry: Geometry, label: string): boolean {
    const a = this.get(key);
    if (!a || a.geometry === geometry) return false;
    if (JSON.stringify(a.geometry) === JSON.stringify(geometry)) return false;
    return this.replace(key, this.edited(a, { geometry }), label);
  }

  /**
   * Set the attribute `name` to `value` (null: unset it) on the annotations `keys`, as one undoable step. Only
   * those whose label the attribute applies to take a value; unsetting also clears a value stored where it does
   * not apply. A value that is no value of the attribute is refused (and said). Returns whether anything changed.
   */
  setAttribute(keys: readonly string[], name: string, value: AttributeValue | null): boolean {
    const spec = this.specs.find((s) => s.name === name);
    if (!spec) return false;
    if (this.readonly) return (this.notify('This item is read-only for you', 'warn'), false);
    const problem = valueProblem(spec, value);
    if (problem !== null) return (this.notify(`${name}: ${problem}`, 'warn'), false);
    const wanted = new Set(keys);
    let changed = 0;
    const next = this.anns.map((a) => {
      if (!wanted.has(a.key)) return a;
      const had = Object.hasOwn(a.attributes, name);
      if (value === null ? !had : !appliesTo(spec, a.label) || a.attributes[name] === value) return a;
      const attributes = { ...a.attributes };
      if (value === null) delete attributes[name];
      else attributes[name] = value;
      changed += 1;
      return this.edited(a, { attributes });
    });
    return changed > 0 && this.commit(next, `${value === null ? 'clear' : 'set'} ${name}`);
  }

  /**
   * Delete every selected annotation, as one undo step. Without the reviewer role a model's open proposal is kept
   * (removing it would reject it) and the rest go; with only proposals selected nothing does. Returns whether any went.
   * `verb` names the undo step ("cut 2 shapes").
   */
  deleteSelected(verb: 'delete' | 'cut' = 'delete'): boolean {
    const chosen = this.selectedAnns;
    if (chosen.length === 0) return false;
    const kept = this.mayReview ? [] : chosen.filter((a) => isProposal(a));
    if (kept.length > 0 && kept.length === chosen.length) {
      this.notify('Removing a proposal rejects it, which needs the reviewer role: label the item yourself instead', 'warn');
      return false;
    }
    const gone = new Set(chosen.filter((a) => !kept.includes(a)).map((a) => a.key));
    const next = this.anns.filter((x) => !gone.has(x.key));
    const what = gone.size === 1 ? (chosen.find((a) => gone.has(a.key))?.kind ?? 'annotation') : count(gone.size, 'shape');
    if (!this.commit(next, `${verb} ${what}`, null)) return false;
    if (kept.length > 0) {
      this.selection.replace(kept.map((a) => a.key));
      this.notify(`${count(kept.length, 'proposal')} kept: removing a proposal rejects it, which needs the reviewer role`, 'warn');
    }
    return true;
  }

  // ---- the clipboard (`clipboard.ts`): Ctrl+C, Ctrl+X, Ctrl+V ---------------------------------------------

  /** Ctrl+C: keep the selected shapes on the clipboard (a viewer may copy too). Returns how many. */
  copySelected(): number {
    const shapes = this.selectedAnns.filter(isSelectable);
    if (shapes.length === 0) return (this.notify('Nothing selected to copy', 'warn'), 0);
    keepClip(this.item, shapes);
    this.notify(`Copied ${count(shapes.length, 'shape')}`);
    return shapes.length;
  }

  /** Ctrl+X: copy the selected shapes and delete them, one undo step. Without the reviewer role a model's open
   * proposal stays (as with Delete) and is not copied. Returns how many went. */
  cutSelected(): number {
    if (this.readonly) return (this.notify('This item is read-only for you', 'warn'), 0);
    const chosen = this.selectedAnns.filter(isSelectable);
    if (chosen.length === 0) return (this.notify('Nothing selected to cut', 'warn'), 0);
    const going = chosen.filter((a) => this.mayReview || !isProposal(a));
    if (!this.deleteSelected('cut')) return 0;
    keepClip(this.item, going);
    if (going.length === chosen.length) this.notify(`Cut ${count(going.length, 'shape')}`);
    return going.length;
  }

  /**
   * Ctrl+V: add the clipboard's shapes as the person's own, one undo step, and select them. Shapes this project
   * cannot take (a kind it does not allow, a label it does not have, nothing left inside the image) are left out
   * and said. Returns the new keys.
   */
  paste(): string[] {
    if (this.readonly) return (this.notify('This item is read-only for you', 'warn'), []);
    const clip = currentClip();
    if (!clip) return (this.notify('Nothing to paste: select shapes and copy them (Ctrl+C) first', 'warn'), []);
    const { width, height } = this.item;
    const plan = planPaste(clip, { itemId: this.item.id, width, height, classes: this.classes, specs: this.specs, allows: (k) => this.allows(k), existing: this.anns });
    const left = plan.leftCount > 0 ? ` (${count(plan.leftCount, 'shape')} left out: ${plan.left.join('; ')})` : '';
    const keys = plan.anns.map((a) => a.key);
    if (keys.length === 0) return (this.notify(`Nothing pasted${left}`, 'warn'), []);
    const what = count(keys.length, 'shape');
    if (!this.commit([...this.anns, ...plan.anns], `paste ${what}`, null)) return [];
    this.selection.replace(keys);
    this.notify(`Pasted ${what}${left}`, left ? 'warn' : 'info');
    return keys;
  }

  /** Reject the open proposal of the class `label` (the × beside a proposed chip). */
  rejectTag(label: string): boolean {
    const p = this.anns.find((a) => a.kind === 'class' && a.label === label && isProposal(a));
    return p ? this.decide(p.key, 'rejected') : false;
  }

  /** The whole-item class whose attributes the "Tag attributes" section shows (`tag-attributes.ts`): the one last
   * added or moved onto with the keyboard. */
  focusedTag: string | null = null;

  /** Show the attributes of the tag `label` (a chip reached with the keyboard). */
  focusTag(label: string | null): void {
    if (this.focusedTag === label) return;
    this.focusedTag = label;
    this.emit();
  }

  /** Add the whole-image tag `label` (with its attributes' defaults; its attributes then show), or remove it when
   * present (a proposed tag is accepted instead). */
  toggleTag(label: string): boolean {
    if (!this.allows('class')) return (this.notify('This project does not allow image tags', 'warn'), false);
    const existing = this.anns.find((a) => a.kind === 'class' && a.label === label && a.state !== 'rejected');
    if (!existing) {
      const rejected = this.anns.find((a) => a.kind === 'class' && a.label === label);
      const next = this.anns.filter((a) => a !== rejected);
      this.focusedTag = label;
      return this.commit([...next, newAnnotation('class', {}, label, defaultsFor(this.specs, label))], `tag ${label}`);
    }
    if (isProposal(existing)) {
      this.focusedTag = label;
      return this.decide(existing.key, 'accepted');
    }
    return this.commit(
      this.anns.filter((a) => a !== existing),
      `untag ${label}`,
    );
  }
}
