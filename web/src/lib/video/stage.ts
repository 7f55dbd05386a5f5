/**
 * The stage canvas: the current frame fitted to the view, zoom (wheel, keys) and pan (Space+drag, middle
 * drag, or any drag when read-only), and the pointer turned into the editor's requests: a drag on empty image
 * draws a box (a new track), a drag on a box moves it, a drag on a handle of the selected box resizes it, a
 * click selects. A locked track's box is selected but not moved: a drag on it is refused (`StageHost.refused`). It redraws in requestAnimationFrame only when something changed. The scene (image, shapes,
 * selection) comes from the host each frame, so the stage holds no tracks of its own.
 */

import { imageAdjust } from '../editor/adjust';
import { capturePointer, fitCanvas, listener } from '../editor/canvas';
import { clamp, clampMove, clampPoint, MIN_BOX, rectFromPoints, resizeRect } from '../editor/geometry';
import type { Handle, Point, Rect } from '../editor/types';
import { constrainView, fitView, minScale, panBy, toImage, type View, ZOOM_STEP, zoomAt } from '../editor/viewport';
import { drawStage, type StageOverlay, type StageScene } from './render-stage';
import { hitShape, type StageHit } from './shapes';

export interface StageHost {
  scene: () => StageScene;
  select: (id: number | null) => void;
  /** A box drawn on empty image: a new track. */
  draw: (r: Rect) => void;
  /** The selected track's box moved or resized on the current frame. */
  change: (id: number, r: Rect, verb: 'move' | 'resize') => void;
  /** A drag on a locked track's box: nothing moves, and the person is told why. */
  refused: (id: number) => void;
  /** The pointer in image pixels (null: off the canvas), and the zoom, for the status line. */
  changed: (pointer: Point | null, zoom: number) => void;
}

type Drag =
  | { type: 'pan'; last: Point }
  | { type: 'draw'; start: Point }
  | { type: 'move'; id: number; start: Point; startScreen: Point; orig: Rect; moved: boolean }
  | { type: 'resize'; id: number; handle: Handle; orig: Rect }
  | { type: 'held'; id: number; startScreen: Point; told: boolean };

const TOL = 6;
const CURSORS: Record<Handle, string> = {
  nw: 'nwse-resize',
  se: 'nwse-resize',
  ne: 'nesw-resize',
  sw: 'nesw-resize',
  n: 'ns-resize',
  s: 'ns-resize',
  e: 'ew-resize',
  w: 'ew-resize',
};

export class VideoStage {
  view: View = { scale: 1, tx: 0, ty: 0 };
  private readonly ctx: CanvasRenderingContext2D;
  private width = 0;
  private height = 0;
  private dpr = 1;
  private fitted = true;
  private scheduled = false;
  private drag: Drag | null = null;
  private space = false;
  /** Space was used to pan since it went down (then its release does not play or pause). */
  spacePanned = false;
  private readonly overlay: StageOverlay = { draft: null, preview: null, hover: null, cursor: null };
  private pointer: Point | null = null;
  /** The canvas filter of the image adjustments (`none` at their defaults). */
  private filter = imageAdjust.filter;
  private readonly cleanup: (() => void)[] = [];
  private disposed = false;

  constructor(
    private readonly canvas: HTMLCanvasElement,
    private readonly host: StageHost,
  ) {
    const ctx = canvas.getContext('2d', { alpha: false });
    if (!ctx) throw new Error('This browser cannot draw on a canvas');
    this.ctx = ctx;
    const on = listener(canvas, this.cleanup);
    on('pointerdown', (e) => this.onDown(e));
    on('pointermove', (e) => this.onMove(e));
    on('pointerup', (e) => this.onUp(e));
    on('pointercancel', () => this.cancelDrag());
    on('pointerleave', () => {
      this.pointer = null;
      this.overlay.cursor = null;
      if (!this.drag) this.overlay.hover = null;
      this.changed();
    });
    on('wheel', (e) => this.onWheel(e), { passive: false });
    on('contextmenu', (e) => e.preventDefault());
    on('auxclick', (e) => e.preventDefault());
    const ro = new ResizeObserver(() => this.resize());
    ro.observe(canvas.parentElement ?? canvas);
    this.cleanup.push(() => ro.disconnect());
    // The image adjustments (display only): every frame's picture is drawn with them, played or scrubbed.
    this.cleanup.push(
      imageAdjust.subscribe(() => {
        this.filter = imageAdjust.filter;
        this.invalidate();
      }),
    );
    this.resize();
  }

  get zoom(): number {
    return this.view.scale;
  }

  private get size(): { w: number; h: number } {
    const sc = this.host.scene();
    return { w: sc.width, h: sc.height };
  }

  /** Redraw in the next animation frame (at most one per frame). */
  invalidate(): void {
    if (this.scheduled || this.disposed) return;
    this.scheduled = true;
    requestAnimationFrame(() => {
      this.scheduled = false;
      if (!this.disposed) this.render();
    });
  }

  render(): void {
    drawStage(this.ctx, this.width, this.height, this.dpr, this.view, this.host.scene(), this.overlay, this.filter);
  }

  private changed(): void {
    this.invalidate();
    this.host.changed(this.pointer, this.view.scale);
  }

  // ---- view ------------------------------------------------------------------------------------------------

  fit(): void {
    const { w, h } = this.size;
    this.fitted = true;
    this.view = fitView(w, h, this.width, this.height);
    this.changed();
  }

  zoomBy(factor: number, at?: Point): void {
    const { w, h } = this.size;
    const lo = minScale(fitView(w, h, this.width, this.height));
    this.setView(zoomAt(this.view, at ?? { x: this.width / 2, y: this.height / 2 }, factor, lo));
  }

  actualSize(): void {
    this.zoomBy(1 / this.view.scale);
  }

  private setView(v: View): void {
    const { w, h } = this.size;
    this.fitted = false;
    this.view = constrainView(v, w, h, this.width, this.height);
    this.changed();
  }

  setSpace(down: boolean): void {
    this.space = down;
    if (down) this.spacePanned = false;
    this.updateCursor(null);
  }

  private resize(): void {
    const size = fitCanvas(this.canvas, { width: this.width, height: this.height, dpr: this.dpr });
    if (!size) return;
    ({ width: this.width, height: this.height, dpr: this.dpr } = size);
    const [w, h] = [size.width, size.height];
    const s = this.size;
    this.view = this.fitted ? fitView(s.w, s.h, w, h) : constrainView(this.view, s.w, s.h, w, h);
    this.render();
    this.host.changed(this.pointer, this.view.scale);
  }

  // ---- pointer ---------------------------------------------------------------------------------------------

  private screenPoint(e: MouseEvent): Point {
    const r = this.canvas.getBoundingClientRect();
    return { x: e.clientX - r.left, y: e.clientY - r.top };
  }

  private imagePoint(s: Point): Point {
    return toImage(this.view, s);
  }

  private hit(p: Point): StageHit | null {
    const sc = this.host.scene();
    return hitShape(sc.shapes, p, TOL / this.view.scale, this.view.scale, sc.selected);
  }

  private startDrag(e: PointerEvent, d: Drag): void {
    this.drag = d;
    capturePointer(this.canvas, e);
    this.updateCursor(null);
  }

  private onDown(e: PointerEvent): void {
    this.canvas.focus({ preventScroll: true });
    const s = this.screenPoint(e);
    this.overlay.cursor = null;
    if (e.button === 1 || (e.button === 0 && this.space)) {
      e.preventDefault();
      this.spacePanned = this.space;
      this.startDrag(e, { type: 'pan', last: s });
      return;
    }
    if (e.button !== 0) return;
    const sc = this.host.scene();
    const p = this.imagePoint(s);
    const hit = this.hit(p);
    if (hit && sc.editable && hit.part === 'handle') {
      const shape = sc.shapes.find((x) => x.id === hit.id);
      if (shape) this.startDrag(e, { type: 'resize', id: hit.id, handle: hit.handle, orig: shape.rect });
      return;
    }
    if (hit) {
      if (hit.id !== sc.selected) this.host.select(hit.id);
      const shape = sc.shapes.find((x) => x.id === hit.id);
      if (sc.editable && shape?.locked) this.startDrag(e, { type: 'held', id: hit.id, startScreen: s, told: false });
      else if (sc.editable && shape) this.startDrag(e, { type: 'move', id: hit.id, start: p, startScreen: s, orig: shape.rect, moved: false });
      this.render();
      return;
    }
    if (sc.editable && p.x >= 0 && p.y >= 0 && p.x <= sc.width && p.y <= sc.height) {
      this.startDrag(e, { type: 'draw', start: clampPoint(p, sc.width, sc.height) });
      return;
    }
    this.host.select(null);
    this.startDrag(e, { type: 'pan', last: s });
  }

  private onMove(e: PointerEvent): void {
    const s = this.screenPoint(e);
    const raw = this.imagePoint(s);
    this.pointer = raw;
    const d = this.drag;
    const sc = this.host.scene();
    if (!d) {
      const hit = this.hit(raw);
      this.overlay.hover = hit?.id ?? null;
      this.overlay.cursor = hit ? null : raw;
      this.updateCursor(hit);
      this.changed();
      return;
    }
    const p = clampPoint(raw, sc.width, sc.height);
    switch (d.type) {
      case 'pan':
        this.setView(panBy(this.view, s.x - d.last.x, s.y - d.last.y));
        d.last = s;
        return;
      case 'draw':
        this.overlay.draft = rectFromPoints(d.start, p);
        break;
      case 'move': {
        if (!d.moved && Math.hypot(s.x - d.startScreen.x, s.y - d.startScreen.y) < 3) return;
        d.moved = true;
        const off = clampMove(d.orig, raw.x - d.start.x, raw.y - d.start.y, sc.width, sc.height);
        this.overlay.preview = { x1: d.orig.x1 + off.x, y1: d.orig.y1 + off.y, x2: d.orig.x2 + off.x, y2: d.orig.y2 + off.y };
        break;
      }
      case 'resize':
        this.overlay.preview = resizeRect(d.orig, d.handle, p, sc.width, sc.height);
        break;
      case 'held':
        if (!d.told && Math.hypot(s.x - d.startScreen.x, s.y - d.startScreen.y) >= 3) {
          d.told = true;
          this.host.refused(d.id);
        }
        return;
    }
    this.changed();
  }

  private onUp(e: PointerEvent): void {
    const d = this.drag;
    this.drag = null;
    try {
      this.canvas.releasePointerCapture(e.pointerId);
    } catch {
      // Not captured.
    }
    const preview = this.overlay.preview;
    const draft = this.overlay.draft;
    this.overlay.preview = null;
    this.overlay.draft = null;
    if (d?.type === 'draw') {
      if (draft && draft.x2 - draft.x1 >= MIN_BOX && draft.y2 - draft.y1 >= MIN_BOX && (draft.x2 - draft.x1) * this.view.scale >= 4) {
        this.host.draw(draft);
      } else this.host.select(null);
    } else if (d?.type === 'move' && d.moved && preview) this.host.change(d.id, preview, 'move');
    else if (d?.type === 'resize' && preview) this.host.change(d.id, preview, 'resize');
    // What is under the pointer now (the crosshair comes back over empty image).
    const p = this.imagePoint(this.screenPoint(e));
    const hit = this.hit(p);
    this.overlay.hover = hit?.id ?? null;
    this.overlay.cursor = hit ? null : p;
    this.updateCursor(hit);
    this.render();
  }

  /** Esc during a drag: nothing changes. True when there was a drag to cancel. */
  cancelDrag(): boolean {
    if (!this.drag) return false;
    this.drag = null;
    this.overlay.preview = null;
    this.overlay.draft = null;
    this.updateCursor(null);
    this.invalidate();
    return true;
  }

  private onWheel(e: WheelEvent): void {
    e.preventDefault();
    const unit = e.deltaMode === 1 ? 16 : e.deltaMode === 2 ? this.height : 1;
    const dy = e.deltaY * unit;
    if (e.shiftKey && !e.ctrlKey) {
      this.setView(panBy(this.view, -dy, 0));
      return;
    }
    const f = clamp(Math.exp(-dy * 0.0015), 1 / (ZOOM_STEP * ZOOM_STEP), ZOOM_STEP * ZOOM_STEP);
    this.zoomBy(f, this.screenPoint(e));
  }

  private updateCursor(hit: StageHit | null): void {
    const d = this.drag;
    const editable = this.host.scene().editable;
    let c = 'default';
    if (d?.type === 'pan') c = 'grabbing';
    else if (this.space) c = 'grab';
    else if (d?.type === 'resize') c = CURSORS[d.handle];
    else if (d?.type === 'move') c = 'move';
    else if (d?.type === 'held') c = 'not-allowed';
    else if (d?.type === 'draw') c = 'crosshair';
    else if (hit?.part === 'handle' && editable) c = CURSORS[hit.handle];
    else if (hit) c = editable && !this.host.scene().shapes.find((x) => x.id === hit.id)?.locked ? 'move' : 'pointer';
    else if (editable) c = 'crosshair';
    else c = 'grab';
    if (this.canvas.style.cursor !== c) this.canvas.style.cursor = c;
  }

  dispose(): void {
    this.disposed = true;
    for (const fn of this.cleanup) fn();
  }
}
