/**
 * The canvas side of keypoints: the "Keypoints" tool placing a new instance point by point, or with one instance
 * selected its missing points (`keypoint-fill.ts`), and with the Select tool picking an instance by a point or an
 * edge, dragging one point or (by an edge) the whole instance, one undo step each, and stepping the selected
 * point's visibility (2 -> 1 -> 0). The view (`view.ts`, `view-tools.ts`) hands it pointer and key events first;
 * what it draws is in `render-keypoints.ts`. Logic without the DOM is in `keypoints.ts`.
 */

import { defaultsFor } from '../attributes';
import { count } from '../plural';
import { newAnnotation } from './annotations';
import type { EditorCore } from './core';
import { Completion } from './keypoint-fill';
import { missingPoints, movedKeypoints } from './keypoint-shapes';
import {
  hitKeypoints,
  misfit,
  movedPoint,
  Placement,
  pointName,
  skeletonOf,
  VISIBILITY_WORDS,
  withNextVisibility,
} from './keypoints';
import type { Ann, Point } from './types';

export interface PointRef {
  key: string;
  index: number;
}

/** What the canvas draws of the tool (read by `render-keypoints.ts`). */
export interface KeypointOverlay {
  /** A new instance being placed, or the missing points of a stored one. */
  placement: Placement | Completion | null;
  /** The selected point of the selected instance. */
  selected: PointRef | null;
  hover: PointRef | null;
  cursor: Point | null;
}

interface Host {
  core: EditorCore;
  tol: () => number;
  /** An instance being dragged is drawn from this copy (the view's `overlay.preview`). */
  setPreview: (a: Ann | null) => void;
  redraw: () => void;
  announce: (text: string) => void;
}

export class KeypointTool {
  readonly state: KeypointOverlay = { placement: null, selected: null, hover: null, cursor: null };
  /** A point being dragged (`index`), or the whole instance (`index` null: pressed on an edge at `from`). */
  private drag: { key: string; index: number | null; from: Point; orig: Ann; moved: Ann | null } | null = null;

  /** The pointer is over an edge of an instance (the Select tool): a drag there moves the whole instance. */
  overEdge = false;

  constructor(private readonly host: Host) {}

  private get core(): EditorCore {
    return this.host.core;
  }

  get placing(): boolean {
    return this.state.placement !== null;
  }

  get dragging(): boolean {
    return this.drag !== null;
  }

  /** The status line's words while the tool is in use, else null. */
  get hint(): string | null {
    const core = this.core;
    if (this.state.placement) return this.state.placement.hint();
    if (core.tool !== 'keypoints') return null;
    const label = core.currentLabel;
    if (label === null) return 'Pick a label (1-9), then click its points in order';
    const sk = skeletonOf(core.classes, label);
    if (sk.names.length === 0) return `${label} declares no keypoints: add them in the project's settings (Keypoints), or pick another label`;
    const fill = this.fillable();
    if (fill) {
      const missing = missingPoints(fill.geometry.points ?? [], sk);
      return `Click to place the ${count(missing.length, 'missing point')} of the selected ${label}, starting with “${sk.names[missing[0]!]}” · Esc deselects it to place a new one`;
    }
    return `Click the ${sk.names.length} points of ${label} in order, starting with “${sk.names[0]}”`;
  }

  /** The key of the visible keypoints instance whose point or edge is under `p` (image pixels), else null: what
   * Shift/Ctrl+click adds to the selection or takes out. */
  instanceAt(p: Point): string | null {
    const core = this.core;
    return hitKeypoints(core.anns, p, this.host.tol(), core.classes, (a) => core.visible(a), core.selectedKey)?.key ?? null;
  }

  /** A press on the canvas at `p` (image pixels); returns true when it was the tool's. */
  down(p: Point, clamped: Point): boolean {
    const core = this.core;
    if (core.tool === 'keypoints') {
      if (!core.readonly) this.placeAt(clamped);
      return true;
    }
    if (core.tool !== 'select') return false;
    const hit = hitKeypoints(core.anns, p, this.host.tol(), core.classes, (a) => core.visible(a), core.selectedKey);
    if (!hit) {
      this.state.selected = null;
      return false;
    }
    core.select(hit.key);
    this.state.selected = hit.point === null ? null : { key: hit.key, index: hit.point };
    const a = core.get(hit.key);
    if (hit.point !== null) {
      const name = pointName(skeletonOf(core.classes, a?.label ?? null), hit.point);
      this.host.announce(`${a?.label ?? 'keypoints'}: ${name} selected`);
    }
    if (a && !core.readonly) this.drag = { key: hit.key, index: hit.point, from: p, orig: a, moved: null };
    this.host.redraw();
    return true;
  }

  /** The pointer moved to `p`; returns true when a point drag took it. */
  move(p: Point, clamped: Point): boolean {
    const core = this.core;
    this.state.cursor = clamped;
    const d = this.drag;
    if (d) {
      const orig = d.orig.geometry.points ?? [];
      const { width, height } = core.item;
      const points = d.index === null ? movedKeypoints(orig, p.x - d.from.x, p.y - d.from.y, width, height) : movedPoint(orig, d.index, clamped);
      d.moved = points ? { ...d.orig, geometry: { ...d.orig.geometry, points } } : null;
      this.host.setPreview(d.moved);
      this.host.redraw();
      return true;
    }
    const hit = core.tool === 'select' ? hitKeypoints(core.anns, p, this.host.tol(), core.classes, (a) => core.visible(a), core.selectedKey) : null;
    const hover = hit && hit.point !== null ? { key: hit.key, index: hit.point } : null;
    this.overEdge = hit !== null && hit.point === null;
    if (hover?.key !== this.state.hover?.key || hover?.index !== this.state.hover?.index || this.placing) {
      this.state.hover = hover;
      this.host.redraw();
    }
    return false;
  }

  /** The press ended; returns true when it ended a drag (stored as one undo step). */
  up(): boolean {
    const d = this.drag;
    if (!d) return false;
    this.drag = null;
    this.host.setPreview(null);
    if (d.moved) this.core.setGeometry(d.key, d.moved.geometry, d.index === null ? 'move keypoints' : 'move keypoint');
    this.host.redraw();
    return true;
  }

  cancelDrag(): void {
    if (!this.drag) return;
    this.drag = null;
    this.host.setPreview(null);
  }

  /** Enter, Esc and Backspace while an instance is being placed; returns true when used. */
  key(action: 'enter' | 'escape' | 'backspace'): boolean {
    const pl = this.state.placement;
    if (!pl) return false;
    if (action === 'enter') this.finish();
    else if (action === 'escape') {
      this.state.placement = null;
      this.host.announce(pl instanceof Completion ? 'Missing points dropped' : 'Keypoints cancelled');
    } else if (!pl.back()) this.state.placement = null;
    this.host.redraw();
    return true;
  }

  /** The keys: U skips the next point, O steps the selected point's visibility. */
  act(action: 'keypoint.skip' | 'keypoint.visibility'): boolean {
    return action === 'keypoint.skip' ? this.skip() : this.stepVisibility();
  }

  /** U: the next point is not labelled (0, 0, 0). */
  skip(): boolean {
    const pl = this.state.placement ?? (this.core.tool === 'keypoints' ? this.start() : null);
    if (!pl) return false;
    this.host.announce(`${pointName(pl.sk, pl.next)} skipped`);
    pl.skip();
    if (pl.done) this.finish();
    this.host.redraw();
    return true;
  }

  /** O: the selected point's visibility, visible -> occluded -> not labelled -> visible (one undo step). A point
   * stepped to not labelled stays picked (drawn as a dashed ring where it was), so the next O brings it back. */
  stepVisibility(): boolean {
    const core = this.core;
    const ref = this.state.selected;
    const a = ref && ref.key === core.selectedKey ? core.get(ref.key) : undefined;
    if (!ref || !a || a.kind !== 'keypoints') {
      if (core.selected?.kind === 'keypoints') core.notify('Click a point of the instance first, then O steps its visibility', 'info');
      return false;
    }
    const points = withNextVisibility(a.geometry.points ?? [], ref.index);
    if (!core.setGeometry(a.key, { ...a.geometry, points }, 'keypoint visibility')) return true;
    const v = points[3 * ref.index + 2] ?? 0;
    this.host.announce(`${pointName(skeletonOf(core.classes, a.label), ref.index)}: ${VISIBILITY_WORDS[v]}`);
    this.host.redraw();
    return true;
  }

  /** The tool changed or the editor was cleared: drop what was being placed. */
  reset(): void {
    this.state.placement = null;
    this.state.hover = null;
    this.cancelDrag();
  }

  /** The lone selected keypoints instance whose missing points the tool places next, if any. */
  private fillable(): Ann | null {
    const core = this.core;
    const a = core.selectedKeys.size === 1 ? core.selected : undefined;
    if (!a || a.kind !== 'keypoints' || core.readonly || misfit(a, core.classes)) return null;
    const sk = skeletonOf(core.classes, a.label);
    return missingPoints(a.geometry.points ?? [], sk).length > 0 ? a : null;
  }

  private start(): Placement | Completion | null {
    const core = this.core;
    if (core.readonly) return null;
    const fill = this.fillable();
    if (fill) {
      const sk = skeletonOf(core.classes, fill.label);
      this.state.placement = new Completion(fill.key, fill.label ?? 'keypoints', sk, fill.geometry.points ?? []);
      return this.state.placement;
    }
    if (!core.allows('keypoints')) return (core.notify('This project does not allow keypoints', 'warn'), null);
    const label = core.currentLabel;
    if (label === null) return (core.notify('Pick a label first (1-9)', 'warn'), null);
    const sk = skeletonOf(core.classes, label);
    if (sk.names.length === 0) {
      core.notify(`${label} declares no keypoints: add them in the project's settings`, 'warn');
      return null;
    }
    core.select(null);
    this.state.placement = new Placement(label, sk);
    return this.state.placement;
  }

  private placeAt(p: Point): void {
    const pl = this.state.placement ?? this.start();
    if (!pl) return;
    this.host.announce(`${pointName(pl.sk, pl.next)} placed`);
    pl.place(p);
    if (pl.done) this.finish();
    this.host.redraw();
  }

  /** Store the instance being placed (the points not reached yet unlabelled) as one undo step. */
  private finish(): void {
    const pl = this.state.placement;
    this.state.placement = null;
    if (!pl) return;
    if (pl.placed === 0) return this.core.notify('No point placed: nothing to add', 'info');
    const core = this.core;
    if (pl instanceof Completion) {
      const a = core.get(pl.key);
      const points = pl.applyTo(a?.geometry.points ?? []);
      if (a && core.setGeometry(pl.key, { ...a.geometry, points }, `place missing ${pl.label} keypoints`)) {
        const left = missingPoints(points, pl.sk).length;
        this.host.announce(`${pl.label}: ${count(pl.placed, 'missing point')} placed` + (left > 0 ? `, ${left} still missing` : ''));
      }
      return;
    }
    const a = newAnnotation('keypoints', { points: pl.result() }, pl.label, defaultsFor(core.specs, pl.label));
    if (core.commit([...core.anns, a], `place ${pl.label} keypoints`, a.key)) {
      this.host.announce(`${pl.label}: ${pl.placed} of ${pl.sk.names.length} points placed`);
    }
  }
}

