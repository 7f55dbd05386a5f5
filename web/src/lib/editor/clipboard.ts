/**
 * The image editor's clipboard: the shapes Ctrl+C (or Ctrl+X) took, kept in this module so that they survive
 * moving to the next or previous item (each item builds a fresh editor), and what a paste makes of them on an
 * item (`planPaste`). Pure apart from the one module-level clip; the commands are `EditorCore.copySelected`,
 * `cutSelected` and `paste`, the keys and the system clipboard `clipboard-ui.ts`.
 *
 * A paste re-creates each shape as the person's own (human, accepted, no score or model version: a copied model
 * proposal is pasted as the person's shape), with its label and only the attributes the project declares for that
 * label (as a relabel keeps them, defaults filled in). Positions: `clip-geometry.ts`. Where a copy already lies on
 * the item (the originals on the item copied from, an earlier paste), the paste moves on by `PASTE_STEP` px, as
 * often as needed, so that the copies show; an undone paste or a cut frees its place again.
 */

import { appliesTo, relabelled, type AttributeSpec } from '../attributes';
import { newAnnotation } from './annotations';
import { placedGeometry } from './clip-geometry';
import { misfit } from './keypoints';
import { maskBounds } from './masks';
import type { Ann, AnnotationKind, Geometry, LabelClass } from './types';

/** How far (image pixels, right and down) each further paste on the same item lands from the one before. */
export const PASTE_STEP = 10;
/** The most steps a paste moves on looking for a free place (then it lands on the last). */
const MAX_STEPS = 100;

/** One copied shape: what a paste re-creates. */
export interface ClipShape {
  readonly kind: AnnotationKind;
  readonly label: string | null;
  readonly geometry: Geometry;
  readonly attributes: Readonly<Record<string, unknown>>;
}

export interface Clip {
  /** The item copied from and its size in pixels. */
  readonly itemId: number;
  readonly width: number;
  readonly height: number;
  readonly shapes: readonly ClipShape[];
}

let current: Clip | null = null;

/** What Ctrl+C or Ctrl+X took last, in this tab (null: nothing yet). */
export function currentClip(): Clip | null {
  return current;
}

/** Forget the clip (tests start from an empty clipboard). */
export function clearClip(): void {
  current = null;
}

/** Keep `anns` (copied from the `width` x `height` item `itemId`) as the clip. Returns the clip. */
export function keepClip(item: { id: number; width: number; height: number }, anns: readonly Ann[]): Clip {
  current = {
    itemId: item.id,
    width: item.width,
    height: item.height,
    shapes: anns.map((a) => ({ kind: a.kind, label: a.label, geometry: a.geometry, attributes: a.attributes })),
  };
  return current;
}

/** The clip as JSON text for the system clipboard (other tools, a bug report); labelhub itself reads the module's. */
export function clipText(c: Clip): string {
  return JSON.stringify({ labelhub: 'shapes', width: c.width, height: c.height, shapes: c.shapes });
}

/** What the target item allows (`EditorCore` gives its own). */
export interface PasteTarget {
  itemId: number;
  width: number;
  height: number;
  classes: readonly LabelClass[];
  specs: readonly AttributeSpec[];
  allows: (kind: AnnotationKind) => boolean;
  /** The item's shapes now (where copies may already lie). */
  existing: readonly Ann[];
}

export interface PastePlan {
  /** The new annotations, in the clip's order. */
  anns: Ann[];
  /** Why shapes were left out, one phrase each ("dog is no label of this project"), without repeats. */
  left: string[];
  leftCount: number;
}

/** What pasting `c` on `t` adds (nothing is stored yet). */
export function planPaste(c: Clip, t: PasteTarget): PastePlan {
  const d = freeStep(c, t) * PASTE_STEP;
  const names = new Set(t.classes.map((x) => x.name));
  const anns: Ann[] = [];
  const left = new Set<string>();
  let leftCount = 0;
  for (const s of c.shapes) {
    const why = refusal(s, t, names);
    const geometry = why === null ? placedGeometry(s.kind, s.geometry, d, d, t.width, t.height) : null;
    if (geometry === null) {
      left.add(why ?? 'outside the image');
      leftCount += 1;
      continue;
    }
    const a = newAnnotation(s.kind, geometry, s.label, declaredFor(t.specs, s.attributes, s.label));
    const wrong = a.kind === 'keypoints' ? misfit(a, t.classes) : null;
    if (wrong !== null) {
      left.add(wrong);
      leftCount += 1;
      continue;
    }
    anns.push(a);
  }
  return { anns, left: [...left], leftCount };
}

/** The fewest `PASTE_STEP`s that put the clip's first shape where no shape of its kind and label lies on `t`
 * (same place: same bounds to 0.01 px). */
function freeStep(c: Clip, t: PasteTarget): number {
  const s = c.shapes.find((x) => x.kind !== 'mask') ?? c.shapes[0];
  if (!s) return 0;
  const here = t.existing
    .filter((a) => a.kind === s.kind && a.label === s.label && a.state !== 'rejected')
    .map((a) => placeKey(a.kind, a.geometry));
  for (let n = 0; n < MAX_STEPS; n++) {
    const g = placedGeometry(s.kind, s.geometry, n * PASTE_STEP, n * PASTE_STEP, t.width, t.height);
    const key = g && placeKey(s.kind, g);
    if (key === null || !here.includes(key)) return n;
  }
  return MAX_STEPS;
}

/** Where a shape lies, as text: a mask by its bounds (its counts may be written two ways), others by geometry. */
function placeKey(kind: AnnotationKind, g: Geometry): string | null {
  if (kind !== 'mask') return JSON.stringify(g.bbox ?? g.points ?? null);
  const r = maskBounds(g);
  return r && [r.x1, r.y1, r.x2, r.y2].join(',');
}

/** The values of `attributes` the project declares for `label`, its defaults filled in (what a relabel keeps,
 * less values of attributes the project does not declare at all). */
function declaredFor(specs: readonly AttributeSpec[], attributes: Readonly<Record<string, unknown>>, label: string | null): Record<string, unknown> {
  const out = relabelled(specs, attributes, label);
  for (const k of Object.keys(out)) {
    const spec = specs.find((x) => x.name === k);
    if (!spec || !appliesTo(spec, label)) delete out[k];
  }
  return out;
}

const KIND_WORDS: Partial<Record<AnnotationKind, string>> = { box: 'boxes', polygon: 'polygons', mask: 'masks', keypoints: 'keypoints' };

function refusal(s: ClipShape, t: PasteTarget, names: ReadonlySet<string>): string | null {
  if (!t.allows(s.kind)) return `this project does not allow ${KIND_WORDS[s.kind] ?? s.kind}`;
  if (s.label !== null && names.size > 0 && !names.has(s.label)) return `${s.label} is no label of this project`;
  return null;
}
