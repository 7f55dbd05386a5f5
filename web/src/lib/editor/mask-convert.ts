/**
 * Shapes into masks and masks into shapes, free of the DOM: what "Convert to mask" (a box or polygon), "Convert
 * to polygon" (a mask) and the brush's and eraser's polygon fill do to the annotation list, each one undo step.
 *
 * - To a mask: the shape's pixels at the image's resolution (`mask-raster.ts`: pixel centres inside the polygon
 *   by the even-odd rule, a box's pixel rectangle, clipped to the image). The annotation stays where it is in the
 *   list (its z-order), with its key and server id, class and attributes; only its kind and geometry change.
 * - To polygons: each region of the mask traced and simplified (`mask-trace.ts`). The largest region takes the
 *   mask's place (key, id, class, attributes); the others follow it in the list as new polygons of the same class
 *   and attributes. Holes are filled in and specks left out, and the message says so.
 * - A model's proposal converted becomes the person's label, as any edit of it does (`edited`).
 */

import { count } from '../plural';
import { fillBox, fillPolygon, emptyBitmap } from './mask-raster';
import { MIN_REGION_PIXELS, traceMask, type TraceOptions } from './mask-trace';
import { startBitmap, type StrokeMode } from './mask-tool';
import { maskBitmap } from './masks';
import { maskGeometry, pixelCount, type Bitmap } from './rle';
import type { Ann, AnnotationKind, Geometry } from './types';

export type Conversion = 'mask' | 'polygon';

/** What an annotation becomes when converted: a box or polygon a mask (when the project allows masks), a mask
 * polygons (when it allows polygons); null when neither applies. */
export function conversionOf(a: Pick<Ann, 'kind'> | undefined | null, allows: (k: AnnotationKind) => boolean): Conversion | null {
  if (!a) return null;
  if ((a.kind === 'box' || a.kind === 'polygon') && allows('mask')) return 'mask';
  if (a.kind === 'mask' && allows('polygon')) return 'polygon';
  return null;
}

/** `a` with a new kind and geometry (the core's: a model's proposal becomes the person's). */
export type Reshape = (a: Ann, changes: { kind: AnnotationKind; geometry: Geometry }) => Ann;

export interface ConvertEdit {
  next: Ann[];
  /** The undo step's words. */
  label: string;
  /** The keys to select afterwards (the first the primary). */
  select: string[];
  /** What happened, for the status line and a toast ("Converted … 1 hole filled in …"). */
  message: string;
  /** `warn` when something of the shape was lost on the way (a hole, a speck). */
  tone: 'info' | 'warn';
  /** The new mask's bitmap (to keep decoded), for a conversion to a mask. */
  bitmap: Bitmap | null;
}

/** Why nothing was converted, in words. */
export interface Refusal {
  refused: string;
}

export type ConvertResult = ConvertEdit | Refusal;

export function isRefusal(r: ConvertResult): r is Refusal {
  return 'refused' in r;
}

/** The pixels of a box or polygon on an `h` × `w` image; null for another kind. */
export function shapeBitmap(a: Ann, h: number, w: number): Bitmap | null {
  const bm = emptyBitmap(h, w);
  if (a.kind === 'box' && a.geometry.bbox?.length === 4) fillBox(bm, a.geometry.bbox, 1);
  else if (a.kind === 'polygon' && (a.geometry.points?.length ?? 0) >= 6) fillPolygon(bm, a.geometry.points ?? [], 1);
  else return null;
  return bm;
}

/** "Convert to mask" of the box or polygon `key` on an `h` × `w` image. */
export function toMaskEdit(anns: readonly Ann[], key: string, h: number, w: number, reshape: Reshape): ConvertResult {
  const i = anns.findIndex((a) => a.key === key);
  const a = anns[i];
  if (!a) return { refused: 'Select a box or a polygon to convert to a mask' };
  const bm = shapeBitmap(a, h, w);
  if (!bm) return { refused: `A ${a.kind} cannot be converted to a mask: select a box or a polygon` };
  const n = pixelCount(bm);
  if (n === 0) return { refused: `The ${a.kind} covers no pixel of the image (no pixel centre lies inside it): nothing to convert` };
  const next = anns.slice();
  next[i] = reshape(a, { kind: 'mask', geometry: maskGeometry(bm) });
  const message = `Converted the ${a.kind} to a mask of ${n.toLocaleString('en')} px`;
  return { next, label: 'convert to mask', select: [a.key], message, tone: 'info', bitmap: bm };
}

/**
 * "Convert to polygon" of the mask `key`: one polygon per region (the largest keeps the mask's key), `fresh`
 * making the others (new annotations of the mask's class and attributes).
 */
export function toPolygonEdit(
  anns: readonly Ann[],
  key: string,
  reshape: Reshape,
  fresh: (from: Ann, points: number[]) => Ann,
  opts: TraceOptions = {},
): ConvertResult {
  const i = anns.findIndex((a) => a.key === key);
  const a = anns[i];
  if (!a || a.kind !== 'mask') return { refused: 'Select a mask to convert to polygons' };
  const bm = maskBitmap(a.geometry);
  if (!bm) return { refused: 'This mask cannot be read, so it cannot be traced' };
  const traced = traceMask(bm, opts);
  const min = opts.minPixels ?? MIN_REGION_PIXELS;
  const specks = traced.skipped > 0 ? `${count(traced.skipped, 'region')} under ${min} px left out` : '';
  const [first, ...others] = traced.regions;
  if (!first) return { refused: specks ? `Nothing to convert: ${specks}` : 'The mask is empty: nothing to convert' };
  const made = [reshape(a, { kind: 'polygon', geometry: { points: first.points } }), ...others.map((r) => fresh(a, r.points))];
  const next = [...anns.slice(0, i), ...made, ...anns.slice(i + 1)];
  const holes = traced.regions.reduce((n, r) => n + r.holes, 0);
  const holePixels = traced.regions.reduce((n, r) => n + r.holePixels, 0);
  const points = made.reduce((n, p) => n + (p.geometry.points?.length ?? 0) / 2, 0);
  const lost: string[] = [];
  if (holes > 0) {
    lost.push(`${count(holes, 'hole')} filled in (a polygon has no holes; ${holePixels.toLocaleString('en')} px more)`);
  }
  if (specks) lost.push(specks);
  const what = made.length === 1 ? `a polygon of ${count(points, 'point')}` : `${count(made.length, 'polygon')} (${count(points, 'point')})`;
  return {
    next,
    label: 'convert to polygon',
    select: made.map((p) => p.key),
    message: `Converted the mask to ${what}${lost.length ? `; ${lost.join('; ')}` : ''}`,
    tone: lost.length ? 'warn' : 'info',
    bitmap: null,
  };
}

/**
 * The polygon fill of the brush (`brush`: set) or the eraser (clear): the target mask's bitmap (or an empty one
 * of the image's size, for a new mask) with the pixels inside `points` set or cleared, and how many changed.
 */
export function fillOutline(target: Ann | null, points: readonly number[], mode: StrokeMode, h: number, w: number): { bitmap: Bitmap; changed: number } {
  const bitmap = startBitmap(target, h, w);
  const changed = points.length >= 6 ? fillPolygon(bitmap, points, mode === 'brush' ? 1 : 0) : 0;
  return { bitmap, changed };
}
