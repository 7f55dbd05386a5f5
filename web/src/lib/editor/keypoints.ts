/**
 * Keypoints annotations in the image editor, pure functions: geometry `{points: [x, y, v, ...]}` in image pixels
 * with COCO's visibility v (0 not labelled, 1 labelled but occluded, 2 visible), one triple per point the class
 * declares (`keypoints`, in order) and edges between them (`skeleton`, 0-based index pairs). Hit testing is
 * hand-written here because the shared hit test (`hittest.ts`) works on areas, and an instance is picked by a
 * point or an edge, not by the area between them.
 */

import { round2 } from './geometry';
import type { Ann, LabelClass, Point } from './types';

export type Edge = readonly [number, number];

/** What a class declares (none: an instance may hold any number of points, and has no edges). */
export interface Skeleton {
  names: readonly string[];
  edges: readonly Edge[];
}

export function skeletonOf(classes: readonly LabelClass[], label: string | null): Skeleton {
  const c = classes.find((x) => x.name === label);
  return { names: c?.keypoints ?? [], edges: c?.skeleton ?? [] };
}

/** Point `i` of flat triples, or null when it is not labelled (v 0) or out of range. */
export function pointAt(points: readonly number[], i: number): (Point & { v: number }) | null {
  const x = points[3 * i], y = points[3 * i + 1], v = points[3 * i + 2];
  if (x === undefined || y === undefined || v === undefined || v === 0) return null;
  return { x, y, v };
}

export function pointCount(points: readonly number[]): number {
  return Math.floor(points.length / 3);
}

/** The name of point `i` ("point 3" when the class names none). */
export function pointName(sk: Skeleton, i: number): string {
  return sk.names[i] ?? `point ${i + 1}`;
}

/** The edges to draw: the class's, between two labelled points. */
export function drawnEdges(points: readonly number[], sk: Skeleton): [Point, Point][] {
  const out: [Point, Point][] = [];
  for (const [a, b] of sk.edges) {
    const p = pointAt(points, a), q = pointAt(points, b);
    if (p && q) out.push([p, q]);
  }
  return out;
}

function distToSegment(p: Point, a: Point, b: Point): number {
  const dx = b.x - a.x, dy = b.y - a.y;
  const len = dx * dx + dy * dy;
  const t = len === 0 ? 0 : Math.max(0, Math.min(1, ((p.x - a.x) * dx + (p.y - a.y) * dy) / len));
  return Math.hypot(p.x - (a.x + t * dx), p.y - (a.y + t * dy));
}

export interface KeypointHit {
  key: string;
  /** The point under the pointer; null when an edge was hit. */
  point: number | null;
}

/**
 * The keypoints instance under `p`: a labelled point within `tol` (the nearest; the selected instance first),
 * else an edge within `tol`. Only `visible` instances are hit; the last drawn wins a tie.
 */
export function hitKeypoints(
  anns: readonly Ann[],
  p: Point,
  tol: number,
  classes: readonly LabelClass[],
  visible: (a: Ann) => boolean,
  selectedKey: string | null = null,
): KeypointHit | null {
  const list = anns.filter((a) => a.kind === 'keypoints' && visible(a));
  // The nearest labelled point within reach; the selected instance's points win over others' (they are the ones
  // being edited), and among the rest the one drawn last (on top).
  let best: KeypointHit | null = null;
  let bestScore = Infinity;
  for (const a of list) {
    const pts = a.geometry.points ?? [];
    const bonus = a.key === selectedKey ? tol : 0;
    for (let i = 0; i < pointCount(pts); i++) {
      const q = pointAt(pts, i);
      const d = q ? Math.hypot(q.x - p.x, q.y - p.y) : Infinity;
      if (d <= tol && d - bonus <= bestScore) {
        bestScore = d - bonus;
        best = { key: a.key, point: i };
      }
    }
  }
  if (best) return best;
  for (const a of list.reverse()) {
    const sk = skeletonOf(classes, a.label);
    if (drawnEdges(a.geometry.points ?? [], sk).some(([q, r]) => distToSegment(p, q, r) <= tol)) return { key: a.key, point: null };
  }
  return null;
}

/**
 * Why the server would refuse this keypoints instance as edited: its class declares a different number of points
 * (the declaration changed after it was placed). Null when it fits, or the class declares none.
 */
export function misfit(a: Ann, classes: readonly LabelClass[]): string | null {
  if (a.kind !== 'keypoints') return null;
  const names = skeletonOf(classes, a.label).names;
  const points = a.geometry.points ?? [];
  if (names.length === 0 || points.length === 3 * names.length) return null;
  return `${a.label} now declares ${names.length} keypoints and this instance has ${pointCount(points)}: it cannot be edited; delete it and place it again, or relabel it`;
}

/** The reason an edit from `before` to `next` is refused: a keypoints instance whose label or points it changes
 * no longer fits its class (`misfit`); null when none does. Untouched instances pass, as on the server. */
export function misfitEdit(before: readonly Ann[], next: readonly Ann[], classes: readonly LabelClass[]): string | null {
  if (!classes.some((c) => (c.keypoints?.length ?? 0) > 0)) return null;
  const old = new Map(before.map((a) => [a.key, a]));
  for (const a of next) {
    if (a.kind !== 'keypoints') continue;
    const o = old.get(a.key);
    if (o && o.label === a.label && samePoints(o.geometry.points, a.geometry.points)) continue;
    const why = misfit(a, classes);
    if (why) return why;
  }
  return null;
}

function samePoints(a: readonly number[] | undefined, b: readonly number[] | undefined): boolean {
  if (a === b) return true;
  if (!a || !b || a.length !== b.length) return false;
  return a.every((v, i) => v === b[i]);
}

/** The points with point `i` moved to `p` (its visibility kept; a point not labelled becomes visible). */
export function movedPoint(points: readonly number[], i: number, p: Point): number[] {
  const out = points.slice();
  out[3 * i] = round2(p.x);
  out[3 * i + 1] = round2(p.y);
  if (out[3 * i + 2] === 0) out[3 * i + 2] = 2;
  return out;
}

/** Visibility the key steps through: visible 2 -> occluded 1 -> not labelled 0 -> visible 2. */
export function nextVisibility(v: number): number {
  return v === 2 ? 1 : v === 1 ? 0 : 2;
}

export const VISIBILITY_WORDS: Readonly<Record<number, string>> = { 0: 'not labelled', 1: 'occluded', 2: 'visible' };

/** The points with point `i`'s visibility stepped on; a point not labelled keeps its place for when it returns. */
export function withNextVisibility(points: readonly number[], i: number): number[] {
  const out = points.slice();
  out[3 * i + 2] = nextVisibility(out[3 * i + 2] ?? 0);
  return out;
}

/**
 * One instance being placed by the keypoints tool: a click places the next named point (visible), a skip leaves
 * it unlabelled (0, 0, 0), Backspace takes the last one back. It is done once every named point is placed or skipped.
 */
export class Placement {
  readonly points: number[] = [];

  constructor(
    readonly label: string,
    readonly sk: Skeleton,
  ) {}

  get next(): number {
    return this.points.length / 3;
  }

  get done(): boolean {
    return this.next >= this.sk.names.length;
  }

  get placed(): number {
    let n = 0;
    for (let i = 2; i < this.points.length; i += 3) if (this.points[i]! > 0) n += 1;
    return n;
  }

  place(p: Point): void {
    if (!this.done) this.points.push(round2(p.x), round2(p.y), 2);
  }

  skip(): void {
    if (!this.done) this.points.push(0, 0, 0);
  }

  back(): boolean {
    if (this.points.length === 0) return false;
    this.points.splice(-3, 3);
    return true;
  }

  /** The geometry to store: the points so far, the rest unlabelled. */
  result(): number[] {
    const out = this.points.slice();
    while (out.length < 3 * this.sk.names.length) out.push(0, 0, 0);
    return out;
  }

  /** What the status line says: the point to click next and the keys. */
  hint(): string {
    if (this.done) return `All ${this.sk.names.length} points of ${this.label} placed · Enter saves the instance · Backspace takes the last back`;
    const name = pointName(this.sk, this.next);
    return `${this.label}: click “${name}” (${this.next + 1} of ${this.sk.names.length}) · U skips it · Backspace takes the last back · Enter finishes · Esc cancels`;
  }
}
