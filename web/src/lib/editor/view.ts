/**
 * The canvas: sizing, the image, pointer and wheel input turned into EditorCore commands, and a redraw in
 * requestAnimationFrame only when something changed. Also keeps the frame-time probe the benchmark reads.
 */

import type { EditorCore } from './core';
import {
  annBounds,
  clampMove,
  clampPoint,
  insertVertex,
  MIN_BOX,
  rectFromPoints,
  rectToBox,
  removeVertex,
  resizeRect,
  setVertex,
  translatePoints,
} from './geometry';
import { clickTarget, covers, hitTest, type Hit } from './hittest';
import { buildLevels, drawFrame, type ImageSource, type Overlay } from './render';
import type { Ann, Handle, Point, Rect } from './types';
import {
  constrainView,
  fitView,
  minScale,
  panBy,
  toImage,
  type View,
  ZOOM_STEP,
  zoomAt,
} from './viewport';

type Drag =
  | { type: 'pan'; last: Point }
  | { type: 'draw-box'; start: Point }
  | { type: 'move'; key: string; start: Point; startScreen: Point; orig: Ann; bounds: Rect; moved: boolean; cycle: boolean }
  | { type: 'resize'; key: string; handle: Handle; orig: Ann }
  | { type: 'vertex'; key: string; index: number; orig: Ann };

/** Timings kept for the benchmark and the optional on-screen meter (milliseconds, newest last). */
export interface Probe {
  /** Script time of each redraw. */
  draw: number[];
  /** Pointer-down on a shape to the end of the redraw that shows it selected. */
  selectDrawn: number[];
  /** Pointer-down on a shape to the start of the next animation frame after that redraw (it is on screen). */
  selectShown: number[];
  frames: number;
}

const PROBE_MAX = 5000;
/** Hit tolerance in screen pixels. */
const TOL = 6;

const HANDLE_CURSOR: Record<Handle, string> = {
  nw: 'nwse-resize',
  se: 'nwse-resize',
  ne: 'nesw-resize',
  sw: 'nesw-resize',
  n: 'ns-resize',
  s: 'ns-resize',
  e: 'ew-resize',
  w: 'ew-resize',
};

function push(list: number[], v: number): void {
  list.push(v);
  if (list.length > PROBE_MAX) list.splice(0, list.length - PROBE_MAX);
}

export class CanvasView {
  view: View = { scale: 1, tx: 0, ty: 0 };
  readonly probe: Probe = { draw: [], selectDrawn: [], selectShown: [], frames: 0 };
  readonly img: ImageSource = { image: null, state: 'loading' };
  /** The pointer over the image (image pixels), or null when outside the canvas. */
  cursor: Point | null = null;
  /**
   * Benchmark aid: read one pixel back after each redraw, which makes the browser rasterise the canvas before
   * `render` returns, so `probe.draw` includes the raster work that otherwise happens later, off the script.
   */
  syncRaster = false;

  private readonly ctx: CanvasRenderingContext2D;
  private width = 0;
  private height = 0;
  private dpr = 1;
  private fitted = true;
  private scheduled = false;
  private dirty = false;
  private drag: Drag | null = null;
  private space = false;
  private overlay: Overlay = {
    preview: null,
    hoverKey: null,
    draftBox: null,
    draftPolygon: null,
    cursor: null,
    closing: false,
  };
  private pendingSelect: { key: string; at: number } | null = null;
  private readonly listeners = new Set<() => void>();
  private readonly cleanup: (() => void)[] = [];
  private disposed = false;

  constructor(
    private readonly canvas: HTMLCanvasElement,
    private readonly core: EditorCore,
  ) {
    const ctx = canvas.getContext('2d', { alpha: false });
    if (!ctx) throw new Error('This browser cannot draw on a canvas');
    this.ctx = ctx;
    const on = <K extends keyof HTMLElementEventMap>(
      type: K,
      fn: (e: HTMLElementEventMap[K]) => void,
      opts?: AddEventListenerOptions,
    ): void => {
      canvas.addEventListener(type, fn as EventListener, opts);
      this.cleanup.push(() => canvas.removeEventListener(type, fn as EventListener, opts));
    };
    on('pointerdown', (e) => this.onDown(e));
    on('pointermove', (e) => this.onMove(e));
    on('pointerup', (e) => this.onUp(e));
    on('pointercancel', () => this.cancelDrag());
    on('pointerleave', () => {
      this.cursor = null;
      this.overlay.cursor = null;
      if (!this.drag) this.overlay.hoverKey = null;
      this.invalidate();
      this.emit();
    });
    on('wheel', (e) => this.onWheel(e), { passive: false });
    on('dblclick', (e) => this.onDoubleClick(e));
    on('contextmenu', (e) => e.preventDefault());
    on('auxclick', (e) => e.preventDefault());
    this.cleanup.push(core.subscribe(() => this.invalidate()));
    const ro = new ResizeObserver(() => this.resize());
    ro.observe(canvas.parentElement ?? canvas);
    this.cleanup.push(() => ro.disconnect());
    this.resize();
  }

  // ---- public API ----------------------------------------------------------------------------------------

  onChange(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  private emit(): void {
    for (const fn of this.listeners) fn();
  }

  get zoom(): number {
    return this.view.scale;
  }

  get drawing(): boolean {
    return this.overlay.draftPolygon !== null || this.drag?.type === 'draw-box';
  }

  async loadImage(url: string): Promise<void> {
    this.img.state = 'loading';
    this.img.image = null;
    this.invalidate();
    const image = new Image();
    image.decoding = 'async';
    image.src = url;
    try {
      await image.decode();
      if (this.disposed) return;
      this.img.image = image;
      this.img.state = 'ready';
      buildLevels(this.img, this.core.item.width, this.core.item.height);
    } catch {
      this.img.state = 'error';
      this.core.notify('The image could not be loaded; shapes can still be edited', 'error');
    }
    this.invalidate();
    this.emit();
  }

  setSpace(down: boolean): void {
    if (this.space === down) return;
    this.space = down;
    this.updateCursor(null);
  }

  fit(): void {
    this.fitted = true;
    this.view = fitView(this.core.item.width, this.core.item.height, this.width, this.height);
    this.invalidate();
    this.emit();
  }

  zoomBy(factor: number, at?: Point): void {
    const centre = at ?? { x: this.width / 2, y: this.height / 2 };
    this.setView(zoomAt(this.view, centre, factor, this.minScale()));
  }

  /** Zoom to actual pixels around the centre (or the cursor). */
  actualSize(): void {
    this.zoomBy(1 / this.view.scale);
  }

  panBy(dx: number, dy: number): void {
    this.setView(panBy(this.view, dx, dy));
  }

  setView(v: View): void {
    this.fitted = false;
    this.view = constrainView(v, this.core.item.width, this.core.item.height, this.width, this.height);
    this.invalidate();
    this.emit();
  }

  /** Centre the view on an annotation when it is off screen (after Tab or ] selects it). */
  reveal(key: string | null): void {
    const a = this.core.get(key);
    const r = a ? annBounds(a) : null;
    if (!r) return;
    const p1 = { x: r.x1 * this.view.scale + this.view.tx, y: r.y1 * this.view.scale + this.view.ty };
    const p2 = { x: r.x2 * this.view.scale + this.view.tx, y: r.y2 * this.view.scale + this.view.ty };
    if (p1.x >= 0 && p1.y >= 0 && p2.x <= this.width && p2.y <= this.height) return;
    const cx = (r.x1 + r.x2) / 2;
    const cy = (r.y1 + r.y2) / 2;
    this.setView({ scale: this.view.scale, tx: this.width / 2 - cx * this.view.scale, ty: this.height / 2 - cy * this.view.scale });
  }

  /** Keys that act on the canvas state; returns true when the key was used. */
  handleKey(action: 'escape' | 'enter' | 'backspace'): boolean {
    const draft = this.overlay.draftPolygon;
    if (action === 'enter' && draft) {
      this.closePolygon();
      return true;
    }
    if (action === 'backspace' && draft) {
      draft.splice(-2, 2);
      if (draft.length === 0) this.overlay.draftPolygon = null;
      this.invalidate();
      return true;
    }
    if (action === 'escape') {
      if (draft || this.drag) {
        this.overlay.draftPolygon = null;
        this.cancelDrag();
        return true;
      }
    }
    return false;
  }

  /** Schedule a redraw in the next animation frame (at most one per frame, none when nothing changed). */
  invalidate(): void {
    this.dirty = true;
    if (this.scheduled || this.disposed) return;
    this.scheduled = true;
    requestAnimationFrame(() => {
      this.scheduled = false;
      if (this.dirty && !this.disposed) this.render();
    });
  }

  /** Draw now; used by the animation frame and by the benchmark. */
  render(): void {
    this.dirty = false;
    const t0 = performance.now();
    this.overlay.cursor = this.cursor;
    drawFrame({ ctx: this.ctx, width: this.width, height: this.height, dpr: this.dpr }, this.core, this.view, this.img, this.overlay);
    if (this.syncRaster) this.ctx.getImageData(0, 0, 1, 1);
    const t1 = performance.now();
    push(this.probe.draw, t1 - t0);
    this.probe.frames += 1;
    const pending = this.pendingSelect;
    if (pending && this.core.selectedKey === pending.key) {
      this.pendingSelect = null;
      push(this.probe.selectDrawn, t1 - pending.at);
      requestAnimationFrame(() => push(this.probe.selectShown, performance.now() - pending.at));
    }
  }

  dispose(): void {
    this.disposed = true;
    for (const fn of this.cleanup) fn();
    this.listeners.clear();
  }

  // ---- sizing ----------------------------------------------------------------------------------------------

  private resize(): void {
    const box = (this.canvas.parentElement ?? this.canvas).getBoundingClientRect();
    const w = Math.max(1, Math.floor(box.width));
    const h = Math.max(1, Math.floor(box.height));
    const dpr = Math.max(1, Math.min(3, window.devicePixelRatio || 1));
    if (w === this.width && h === this.height && dpr === this.dpr) return;
    this.width = w;
    this.height = h;
    this.dpr = dpr;
    this.canvas.width = Math.round(w * dpr);
    this.canvas.height = Math.round(h * dpr);
    this.canvas.style.width = `${w}px`;
    this.canvas.style.height = `${h}px`;
    if (this.fitted) this.view = fitView(this.core.item.width, this.core.item.height, w, h);
    else this.view = constrainView(this.view, this.core.item.width, this.core.item.height, w, h);
    this.render();
    this.emit();
  }

  private minScale(): number {
    return minScale(fitView(this.core.item.width, this.core.item.height, this.width, this.height));
  }

  // ---- pointer input -------------------------------------------------------------------------------------

  private screenPoint(e: MouseEvent): Point {
    const r = this.canvas.getBoundingClientRect();
    return { x: e.clientX - r.left, y: e.clientY - r.top };
  }

  private tol(): number {
    return TOL / this.view.scale;
  }

  private hitOptions(): { tol: number; selected: Ann | null; visible: (a: Ann) => boolean } {
    return { tol: this.tol(), selected: this.core.selected ?? null, visible: (a: Ann) => this.core.visible(a) };
  }

  private imagePoint(s: Point, clamp = true): Point {
    const p = toImage(this.view, s);
    return clamp ? clampPoint(p, this.core.item.width, this.core.item.height) : p;
  }

  /**
   * Select from a click, and draw at once rather than in the next animation frame: a click is a single event,
   * so this saves up to a frame of delay before the selection shows.
   */
  private selectFromInput(key: string | null, e: PointerEvent): void {
    if (key === this.core.selectedKey) return;
    if (key !== null) this.pendingSelect = { key, at: e.timeStamp };
    this.core.select(key);
    this.render();
  }

  private onDown(e: PointerEvent): void {
    this.canvas.focus({ preventScroll: true });
    const s = this.screenPoint(e);
    const p = this.imagePoint(s, false);
    if (e.button === 1 || (e.button === 0 && this.space)) {
      e.preventDefault();
      this.startDrag(e, { type: 'pan', last: s });
      return;
    }
    if (e.button !== 0) return;
    const core = this.core;
    const editable = !core.readonly;

    if (editable && core.tool === 'polygon') {
      const draft = this.overlay.draftPolygon;
      if (draft) {
        if (this.overlay.closing) this.closePolygon();
        else {
          const q = this.imagePoint(s);
          draft.push(q.x, q.y);
        }
        this.invalidate();
        return;
      }
      const sel = core.selected;
      const hit = sel ? hitTest(core.index, p, this.hitOptions()) : null;
      if (sel && hit && hit.key === sel.key && hit.part.type === 'vertex') {
        this.startVertexDrag(e, sel, hit.part.index);
        return;
      }
      const q = this.imagePoint(s);
      this.overlay.draftPolygon = [q.x, q.y];
      this.invalidate();
      return;
    }

    const hit = hitTest(core.index, p, this.hitOptions());
    const sel = core.selected;
    if (editable && sel && hit && hit.key === sel.key) {
      if (hit.part.type === 'handle') {
        this.startDrag(e, { type: 'resize', key: sel.key, handle: hit.part.handle, orig: sel });
        return;
      }
      if (hit.part.type === 'vertex') {
        if (e.altKey) {
          const pts = sel.geometry.points ?? [];
          if (pts.length > 6) core.setGeometry(sel.key, { points: removeVertex(pts, hit.part.index) }, 'remove point');
          else core.notify('A polygon keeps at least 3 points', 'warn');
          return;
        }
        this.startVertexDrag(e, sel, hit.part.index);
        return;
      }
    }
    if (editable && core.tool === 'box') {
      this.startDrag(e, { type: 'draw-box', start: this.imagePoint(s) });
      this.overlay.draftBox = null;
      return;
    }
    // Select tool.
    if (sel && covers(sel, p, this.tol()) && core.visible(sel)) {
      const bounds = annBounds(sel);
      if (bounds) {
        this.startDrag(e, { type: 'move', key: sel.key, start: p, startScreen: s, orig: sel, bounds, moved: false, cycle: true });
        return;
      }
    }
    if (hit) {
      this.selectFromInput(hit.key, e);
      const a = core.get(hit.key);
      const bounds = a ? annBounds(a) : null;
      if (a && bounds) {
        this.startDrag(e, { type: 'move', key: a.key, start: p, startScreen: s, orig: a, bounds, moved: false, cycle: false });
      }
      return;
    }
    core.select(null);
    this.startDrag(e, { type: 'pan', last: s });
  }

  private startVertexDrag(e: PointerEvent, a: Ann, index: number): void {
    this.startDrag(e, { type: 'vertex', key: a.key, index, orig: a });
  }

  private startDrag(e: PointerEvent, d: Drag): void {
    this.drag = d;
    try {
      this.canvas.setPointerCapture(e.pointerId);
    } catch {
      // Synthetic events (tests) have no active pointer to capture.
    }
    this.updateCursor(null);
  }

  private onMove(e: PointerEvent): void {
    const s = this.screenPoint(e);
    const raw = this.imagePoint(s, false);
    this.cursor = raw;
    const d = this.drag;
    const core = this.core;
    const W = core.item.width;
    const H = core.item.height;
    if (!d) {
      if (this.overlay.draftPolygon) {
        const pts = this.overlay.draftPolygon;
        const first = { x: pts[0]!, y: pts[1]! };
        this.overlay.closing = pts.length >= 6 && Math.hypot(first.x - raw.x, first.y - raw.y) <= this.tol() * 1.5;
      }
      const hit = core.tool === 'polygon' && !core.selected ? null : hitTest(core.index, raw, this.hitOptions());
      const hover = hit?.key ?? null;
      this.overlay.hoverKey = core.tool === 'select' ? hover : null;
      this.updateCursor(hit);
      this.invalidate();
      this.emit();
      return;
    }
    const p = clampPoint(raw, W, H);
    switch (d.type) {
      case 'pan':
        this.panBy(s.x - d.last.x, s.y - d.last.y);
        d.last = s;
        return;
      case 'draw-box':
        this.overlay.draftBox = rectFromPoints(d.start, p);
        break;
      case 'move': {
        if (!d.moved && Math.hypot(s.x - d.startScreen.x, s.y - d.startScreen.y) < 3) return;
        d.moved = true;
        const off = clampMove(d.bounds, raw.x - d.start.x, raw.y - d.start.y, W, H);
        this.overlay.preview = moved(d.orig, off.x, off.y);
        break;
      }
      case 'resize': {
        const r = annBounds(d.orig);
        if (!r) return;
        this.overlay.preview = { ...d.orig, geometry: { ...d.orig.geometry, bbox: rectToBox(resizeRect(r, d.handle, p, W, H)) } };
        break;
      }
      case 'vertex': {
        const pts = d.orig.geometry.points ?? [];
        this.overlay.preview = { ...d.orig, geometry: { ...d.orig.geometry, points: setVertex(pts, d.index, p) } };
        break;
      }
    }
    this.invalidate();
  }

  private onUp(e: PointerEvent): void {
    const d = this.drag;
    this.drag = null;
    try {
      this.canvas.releasePointerCapture(e.pointerId);
    } catch {
      // Not captured.
    }
    const core = this.core;
    const preview = this.overlay.preview;
    this.overlay.preview = null;
    if (!d) return;
    switch (d.type) {
      case 'draw-box': {
        const r = this.overlay.draftBox;
        this.overlay.draftBox = null;
        if (r && r.x2 - r.x1 >= MIN_BOX && r.y2 - r.y1 >= MIN_BOX && (r.x2 - r.x1) * this.view.scale >= 4) {
          core.addBox(r);
        } else {
          // A click with the box tool: select what is under it, so boxes can be picked without switching tools.
          const a = clickTarget(core.index, this.imagePoint(this.screenPoint(e), false), this.hitOptions());
          this.selectFromInput(a?.key ?? null, e);
        }
        break;
      }
      case 'move':
        if (d.moved && preview) core.setGeometry(d.key, preview.geometry, `move ${d.orig.kind}`);
        else if (d.cycle) {
          const a = clickTarget(core.index, d.start, this.hitOptions());
          this.selectFromInput(a?.key ?? null, e);
        }
        break;
      case 'resize':
        if (preview) core.setGeometry(d.key, preview.geometry, 'resize box');
        break;
      case 'vertex':
        if (preview) core.setGeometry(d.key, preview.geometry, 'move point');
        break;
      case 'pan':
        break;
    }
    this.updateCursor(null);
    this.invalidate();
  }

  private cancelDrag(): void {
    this.drag = null;
    this.overlay.preview = null;
    this.overlay.draftBox = null;
    this.updateCursor(null);
    this.invalidate();
  }

  private onDoubleClick(e: MouseEvent): void {
    const core = this.core;
    if (core.readonly) return;
    if (core.tool === 'polygon' && this.overlay.draftPolygon) {
      const pts = this.overlay.draftPolygon;
      // The double-click's two clicks each added a point: drop points that repeat the one before.
      const tol = this.tol();
      while (pts.length >= 4) {
        const n = pts.length;
        if (Math.hypot(pts[n - 2]! - pts[n - 4]!, pts[n - 1]! - pts[n - 3]!) > tol) break;
        pts.splice(-2, 2);
      }
      this.closePolygon();
      return;
    }
    const sel = core.selected;
    if (sel?.kind === 'polygon') {
      const p = this.imagePoint(this.screenPoint(e), false);
      const hit = hitTest(core.index, p, this.hitOptions());
      if (hit && hit.key === sel.key && hit.part.type === 'edge') {
        const q = clampPoint(p, core.item.width, core.item.height);
        core.setGeometry(sel.key, { points: insertVertex(sel.geometry.points ?? [], hit.part.index, q) }, 'add point');
      }
    }
  }

  private closePolygon(): void {
    const pts = this.overlay.draftPolygon;
    this.overlay.draftPolygon = null;
    this.overlay.closing = false;
    if (!pts) return;
    if (pts.length < 6) {
      this.core.notify('A polygon needs at least 3 points', 'warn');
      this.invalidate();
      return;
    }
    this.core.addPolygon(pts);
    this.invalidate();
  }

  private onWheel(e: WheelEvent): void {
    e.preventDefault();
    const unit = e.deltaMode === 1 ? 16 : e.deltaMode === 2 ? this.height : 1;
    const dy = e.deltaY * unit;
    if (e.shiftKey && !e.ctrlKey) {
      this.panBy(-dy, 0);
      return;
    }
    const factor = Math.exp(-dy * 0.0015);
    this.zoomBy(Math.min(ZOOM_STEP * ZOOM_STEP, Math.max(1 / (ZOOM_STEP * ZOOM_STEP), factor)), this.screenPoint(e));
  }

  private updateCursor(hit: Hit | null): void {
    let c = 'default';
    const d = this.drag;
    if (d?.type === 'pan') c = 'grabbing';
    else if (this.space) c = 'grab';
    else if (d?.type === 'resize') c = HANDLE_CURSOR[d.handle];
    else if (d?.type === 'move') c = 'move';
    else if (d?.type === 'vertex') c = 'grabbing';
    else if (!this.core.readonly && this.core.tool !== 'select' && !(hit && hit.part.type !== 'body')) c = 'crosshair';
    else if (hit?.part.type === 'handle') c = HANDLE_CURSOR[hit.part.handle];
    else if (hit?.part.type === 'vertex') c = 'grab';
    else if (hit?.part.type === 'edge') c = 'copy';
    else if (hit) c = this.core.readonly ? 'pointer' : 'move';
    if (this.canvas.style.cursor !== c) this.canvas.style.cursor = c;
  }
}

function moved(a: Ann, dx: number, dy: number): Ann {
  if (a.kind === 'polygon') return { ...a, geometry: { ...a.geometry, points: translatePoints(a.geometry.points ?? [], dx, dy) } };
  const r = annBounds(a);
  if (!r) return a;
  return { ...a, geometry: { ...a.geometry, bbox: rectToBox({ x1: r.x1 + dx, y1: r.y1 + dy, x2: r.x2 + dx, y2: r.y2 + dy }) } };
}
