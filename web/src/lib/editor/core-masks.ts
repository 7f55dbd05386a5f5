/**
 * Masks in `EditorCore`, on top of the selection: the brush and the eraser (`mask-tool.ts`; the stroke on the
 * canvas is `mask-stroke.ts`), their polygon fill, and converting a box or polygon to a mask and a mask to
 * polygons (`mask-convert.ts`). Each is one undo step. Also the two helpers every edit uses: the label a new shape
 * gets and `edited` (an edit makes a model's proposal the person's).
 */

import { defaultsFor } from '../attributes';
import { newAnnotation } from './annotations';
import { SelectionCore } from './core-selection';
import { conversionOf, type Conversion, fillOutline, isRefusal, toMaskEdit, toPolygonEdit } from './mask-convert';
import { BRUSH_DEFAULT, clampBrush, modeOf, strokeEdit, strokeTarget } from './mask-tool';
import { rememberBitmap } from './masks';
import { TOO_FEW_POINTS } from './polygonKeys';
import { isProposal } from './proposals';
import type { Bitmap } from './rle';
import type { Ann, AnnotationKind, Geometry } from './types';

export abstract class MaskCore extends SelectionCore {
  /** The brush's diameter in image pixels (the eraser's too). */
  brushSize = BRUSH_DEFAULT;

  setBrushSize(px: number): void {
    this.brushSize = clampBrush(px);
    this.emit();
  }

  /** The label for a new shape: the current one (null in a project without classes), or false (after saying so)
   * when none is picked. */
  protected labelForNew(): string | null | false {
    if (this.classes.length === 0) return null;
    if (this.currentLabel === null) {
      this.notify('Pick a label first (1-9)', 'warn');
      return false;
    }
    return this.currentLabel;
  }

  /**
   * `a` with `changes`. Whoever relabels, reshapes or sets an attribute of a model's proposal makes it their own label (human,
   * accepted, no score; the model version stays as its origin), as the server records it.
   */
  protected edited(a: Ann, changes: Partial<Pick<Ann, 'kind' | 'label' | 'geometry' | 'attributes'>>): Ann {
    if (a.source !== 'model' || a.state === 'rejected') return { ...a, ...changes };
    return { ...a, ...changes, source: 'human', score: null, state: 'accepted' };
  }

  /** The mask a stroke of the tool in use starting over the masks `under` (topmost first) edits: null for a new
   * mask, false (after saying why) when no stroke can start. */
  maskTarget(under: readonly Ann[]): Ann | null | false {
    const mode = modeOf(this.tool);
    if (!mode || this.readonly) return false;
    const t = strokeTarget(mode, this.selected, this.currentLabel, under);
    if (t === 'nothing') return (this.notify('Nothing to erase here: select a mask, or start on one', 'warn'), false);
    return t === null && this.labelForNew() === false ? false : t;
  }

  /** Store a finished stroke (its whole bitmap) as one undo step named `word` (default "paint mask" or "erase
   * mask"); returns whether anything changed. */
  paintMask(target: Ann | null, bitmap: Bitmap, word?: string): boolean {
    const mode = modeOf(this.tool);
    const label = target?.label ?? this.labelForNew();
    if (!mode || label === false) return false;
    const fresh = (g: Geometry): Ann => newAnnotation('mask', g, label, defaultsFor(this.specs, label));
    const out = strokeEdit(this.anns, target, bitmap, mode, fresh, (a, g) => this.edited(a, { geometry: g }), word);
    if (out && !out.geometry && target && isProposal(target) && !this.mayReview) {
      return (this.notify('Erasing a proposal away rejects it, which needs the reviewer role: keep some of it, or delete it as a reviewer', 'warn'), false);
    }
    if (!out || !this.commit(out.next, out.label, out.select)) return false;
    if (out.geometry) rememberBitmap(out.geometry, bitmap);
    return true;
  }

  /**
   * The brush's or eraser's polygon fill (Shift+click points, then Enter or a click on the first point): set
   * (brush) or clear (eraser) the pixels whose centres lie inside the outline `points`, in the mask a stroke
   * starting at its first point would edit (`under`: the masks there, topmost first). One undo step ("fill
   * polygon", "clear polygon"); returns whether anything changed.
   */
  fillMaskOutline(points: readonly number[], under: readonly Ann[]): boolean {
    const mode = modeOf(this.tool);
    if (!mode || this.readonly) return false;
    if (points.length < 6) return (this.notify(TOO_FEW_POINTS, 'warn'), false);
    const target = this.maskTarget(under);
    if (target === false) return false;
    const { bitmap, changed } = fillOutline(target, points, mode, this.item.height, this.item.width);
    if (changed === 0) {
      const why = mode === 'brush' ? 'The outline adds no pixel to the mask' : 'The outline takes no pixel from the mask';
      return (this.notify(why, 'warn'), false);
    }
    return this.paintMask(target, bitmap, mode === 'brush' ? 'fill polygon' : 'clear polygon');
  }

  /** What the selection converts to ("Convert to mask", "Convert to polygon"): null unless one shape is selected
   * that converts in this project and the user may edit. */
  get conversion(): Conversion | null {
    if (this.readonly || this.selectedKeys.size !== 1) return null;
    return conversionOf(this.selected, (k) => this.allows(k));
  }

  /**
   * Convert the selected shape (one alone): a box or polygon `to` a mask of the same class, attributes and place
   * in the list, or a mask `to` polygons, one per region. One undo step; the result is selected and what was
   * lost on the way (holes, specks) said. Returns whether anything changed.
   */
  convertSelected(to: Conversion): boolean {
    if (this.readonly) return (this.notify('This item is read-only for you', 'warn'), false);
    const a = this.selected;
    if (!a || this.selectedKeys.size !== 1) {
      return (this.notify(`Select one ${to === 'mask' ? 'box or polygon' : 'mask'} to convert`, 'warn'), false);
    }
    const can = conversionOf(a, (k) => this.allows(k));
    if (can !== to) {
      const kind: AnnotationKind = to;
      const why = !this.allows(kind)
        ? `This project does not allow ${to === 'mask' ? 'masks' : 'polygons'}`
        : to === 'mask'
          ? `Only a box or a polygon converts to a mask (this is a ${a.kind})`
          : `Only a mask converts to polygons (this is a ${a.kind})`;
      return (this.notify(why, 'warn'), false);
    }
    const reshape = (x: Ann, c: { kind: AnnotationKind; geometry: Geometry }): Ann => this.edited(x, c);
    const { width: w, height: h } = this.item;
    const r =
      to === 'mask'
        ? toMaskEdit(this.anns, a.key, h, w, reshape)
        : toPolygonEdit(this.anns, a.key, reshape, (from, points) => newAnnotation('polygon', { points }, from.label, { ...from.attributes }));
    if (isRefusal(r)) return (this.notify(r.refused, 'warn'), false);
    if (!this.commit(r.next, r.label, r.select[0] ?? null)) return false;
    this.selection.replace(r.select, r.select[0] ?? null);
    const g = this.get(a.key)?.geometry;
    if (r.bitmap && g) rememberBitmap(g, r.bitmap);
    this.notify(r.message, r.tone);
    return true;
  }
}
