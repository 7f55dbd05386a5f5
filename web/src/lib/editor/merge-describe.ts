/**
 * The conflict panel's words for a merge: each conflicting annotation by kind, label and place (so a person can
 * find it), and what each side did to it. Pure (`merge.test.ts` covers it with the rules).
 */

import { contentKey } from './annotations';
import { annBounds } from './geometry';
import type { ConflictKind, MergeConflict, Side } from './merge';
import type { Ann, AnnotationKind } from './types';

export interface ConflictRow {
  /** The annotation's server id. */
  id: number;
  kind: ConflictKind;
  annKind: AnnotationKind;
  label: string | null;
  /** Where it is: "at 120, 80 · 200 × 150 px", "characters 3–9", "whole item". */
  where: string;
  /** What I did to it ("moved", "relabelled to dog", "deleted") and what they did. */
  mine: string;
  theirs: string;
  /** The side chosen so far, or null. */
  choice: Side | null;
  /** The local key of my copy (to select it in the editor); null when I deleted it. */
  key: string | null;
}

const KIND_WORD: Record<AnnotationKind, string> = {
  box: 'box',
  polygon: 'polygon',
  mask: 'mask',
  keypoints: 'keypoints',
  class: 'tag',
  span: 'span',
  track_box: 'track box',
};

export function kindWord(kind: AnnotationKind): string {
  return KIND_WORD[kind] ?? kind;
}

/** Where an annotation is, in words. */
export function placeOf(a: Pick<Ann, 'kind' | 'geometry' | 'frame'>): string {
  const r = annBounds(a);
  const frame = a.frame !== null && a.frame !== undefined ? ` · frame ${a.frame}` : '';
  if (r) {
    const n = (v: number): number => Math.round(v);
    return `at ${n(r.x1)}, ${n(r.y1)} · ${n(r.x2 - r.x1)} × ${n(r.y2 - r.y1)} px${frame}`;
  }
  const g = a.geometry;
  if (a.kind === 'span' && typeof g.start === 'number' && typeof g.end === 'number') return `characters ${g.start}–${g.end}`;
  if (a.kind === 'class') return 'whole item';
  return `somewhere${frame}`;
}

const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);

/** What a side did to the base's annotation, in a few words. */
export function changeWords(base: Ann | undefined, side: Ann | null): string {
  if (side === null) return 'deleted';
  if (!base) return 'added';
  const out: string[] = [];
  if (!same(base.geometry, side.geometry)) {
    const a = annBounds(base);
    const b = annBounds(side);
    if (a && b && Math.abs(a.x2 - a.x1 - (b.x2 - b.x1)) < 0.5 && Math.abs(a.y2 - a.y1 - (b.y2 - b.y1)) < 0.5) out.push('moved');
    else if (side.kind === 'box' || side.kind === 'track_box') out.push('resized');
    else out.push('reshaped');
  }
  if (base.label !== side.label) out.push(side.label === null ? 'unlabelled' : `relabelled to ${side.label}`);
  if (base.state !== side.state) out.push(side.state);
  if (base.track_id !== side.track_id || base.frame !== side.frame) out.push('moved to another track or frame');
  if (!same(base.attributes, side.attributes)) out.push('changed attributes');
  if (out.length === 0 && contentKey(base) !== contentKey(side)) out.push('changed');
  return out.length ? out.join(', ') : 'unchanged';
}

/** A conflict as a panel row. `baseOf` gives the base's copy of an id (to say what each side did). */
export function conflictRow(
  c: MergeConflict<Ann>,
  baseOf: (id: number) => Ann | undefined,
  choice: Side | null,
): ConflictRow {
  // Mine where I still have it: that is where it is on the canvas.
  const shown = c.mine ?? c.theirs!;
  const base = baseOf(c.id);
  return {
    id: c.id,
    kind: c.kind,
    annKind: shown.kind,
    label: shown.label,
    where: placeOf(shown),
    mine: changeWords(base, c.mine),
    theirs: changeWords(base, c.theirs),
    choice,
    key: c.mine?.key ?? null,
  };
}
