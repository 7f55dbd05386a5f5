/**
 * Placing the missing points of a stored keypoints instance (skipped with U, stepped to not labelled with O, or
 * imported with v 0): with the instance selected, the Keypoints tool's clicks place its missing points in order,
 * U skips one again, Backspace takes the last back, Enter stores them all as one undo step and Esc drops them.
 * It reads like `Placement` (keypoints.ts), so the tool and the canvas treat both alike.
 */

import { round2 } from './geometry';
import { missingPoints } from './keypoint-shapes';
import { pointName, type Skeleton } from './keypoints';
import type { Point } from './types';

export class Completion {
  /** The instance's points with those placed so far (drawn as they stand). */
  readonly points: number[];
  /** The point indices that were missing when it began, in order. */
  readonly missing: readonly number[];
  /** How many of `missing` were placed or skipped so far. */
  private at = 0;
  /** Which of `missing` were placed (not skipped), for Backspace. */
  private readonly took: boolean[] = [];

  constructor(
    readonly key: string,
    readonly label: string,
    readonly sk: Skeleton,
    private readonly base: readonly number[],
  ) {
    this.points = base.slice();
    this.missing = missingPoints(base, sk);
  }

  /** The index of the point to click next (the instance's numbering). */
  get next(): number {
    return this.missing[this.at] ?? this.sk.names.length;
  }

  get done(): boolean {
    return this.at >= this.missing.length;
  }

  /** How many points this pass placed. */
  get placed(): number {
    return this.took.filter(Boolean).length;
  }

  place(p: Point): void {
    if (this.done) return;
    const i = this.next;
    this.points[3 * i] = round2(p.x);
    this.points[3 * i + 1] = round2(p.y);
    this.points[3 * i + 2] = 2;
    this.took.push(true);
    this.at += 1;
  }

  skip(): void {
    if (this.done) return;
    this.took.push(false);
    this.at += 1;
  }

  back(): boolean {
    if (this.at === 0) return false;
    this.at -= 1;
    this.took.pop();
    const i = this.next;
    for (let k = 0; k < 3; k++) this.points[3 * i + k] = this.base[3 * i + k] ?? 0;
    return true;
  }

  result(): number[] {
    return this.points.slice();
  }

  /** `current` (the instance as stored now: the arrow keys or an undo may have changed it meanwhile) with the
   * points this pass placed. */
  applyTo(current: readonly number[]): number[] {
    const out = current.slice();
    this.took.forEach((placed, k) => {
      const i = this.missing[k]!;
      if (placed) for (let j = 0; j < 3; j++) out[3 * i + j] = this.points[3 * i + j]!;
    });
    return out;
  }

  hint(): string {
    const n = this.missing.length;
    if (this.done) return `All ${n} missing points of ${this.label} done · Enter stores them · Backspace takes the last back`;
    const name = pointName(this.sk, this.next);
    return `${this.label}: click missing “${name}” (${this.at + 1} of ${n} missing) · U skips it · Backspace takes the last back · Enter stores · Esc drops them`;
  }
}
