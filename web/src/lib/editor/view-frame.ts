/**
 * The base of `CanvasView` (`view.ts`): the canvas and its state, sizing, the image, the view transform
 * (zoom, pan, fit, screen and image coordinates), and a redraw in requestAnimationFrame only when something
 * changed. Also keeps the frame-time probe the benchmark reads. The tools (`view-tools.ts`) and the pointer
 * input (`view.ts`) build on it.
 */

import { imageAdjust } from './adjust';
import { fitCanvas } from './canvas';
import type { EditorCore } from './core';
import { annBounds, clampPoint } from './geometry';
import type { LiveStroke } from './mask-stroke';
import { buildLevels, drawFrame, FILTER_SETTLE_MS, type ImageSource, type Overlay } from './render';
import type { Ann, Handle, Point, Rect } from './types';
import { constrainView, fitView, minScale, panBy, toImage, type View, zoomAt } from './viewport';

export type Drag =
  | { type: 'pan'; last: Point }
  | { type: 'draw-box'; start: Point }
  /** `toggle`: the shape a Shift+press started on, toggled when the press ends without a drag (a Shift+click). */
  | { type: 'band'; start: Point; startScreen: Point; toggle: string | null }
  | { type: 'move'; key: string; start: Point; startScreen: Point; orig: Ann; bounds: Rect; moved: boolean; cycle: boolean }
  | { type: 'resize'; key: string; handle: Handle; orig: Ann }
  | { type: 'vertex'; key: string; index: number; orig: Ann }
  | { type: 'stroke'; stroke: LiveStroke };

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

function push(list: number[], v: number): void {
  list.push(v);
  if (list.length > PROBE_MAX) list.splice(0, list.length - PROBE_MAX);
}

export abstract class CanvasFrame {
  view: View = { scale: 1, tx: 0, ty: 0 };
  readonly probe: Probe = { draw: [], selectDrawn: [], selectShown: [], frames: 0 };
  readonly img: ImageSource = { image: null, state: 'loading' };
  /** The pointer over the image (image pixels), or null when outside the canvas. */
  cursor: Point | null = null;
  /** The keyboard's crosshair (image pixels) while a polygon is placed by keyboard (`view-tools.ts`), else null. */
  keyCursor: Point | null = null;
  /**
   * Benchmark aid: read one pixel back after each redraw, which makes the browser rasterise the canvas before
   * `render` returns, so `probe.draw` includes the raster work that otherwise happens later, off the script.
   */
  syncRaster = false;

  private readonly ctx: CanvasRenderingContext2D;
  protected width = 0;
  protected height = 0;
  private dpr = 1;
  private fitted = true;
  private scheduled = false;
  private dirty = false;
  protected drag: Drag | null = null;
  protected space = false;
  protected overlay: Overlay = {
    preview: null,
    hoverKey: null,
    draftBox: null,
    draftPolygon: null,
    cursor: null,
    keyCursor: null,
    closing: false,
    band: null,
    stroke: null,
  };
  protected pendingSelect: { key: string; at: number } | null = null;
  private readonly listeners = new Set<() => void>();
  protected readonly cleanup: (() => void)[] = [];
  private disposed = false;

  constructor(
    protected readonly canvas: HTMLCanvasElement,
    protected readonly core: EditorCore,
  ) {
    const ctx = canvas.getContext('2d', { alpha: false });
    if (!ctx) throw new Error('This browser cannot draw on a canvas');
    this.ctx = ctx;
    // The image adjustments (display only, `adjust.ts`): the picture is drawn with them, redrawn when they change;
    // their filtered copies of the image are made once they hold still (`render-image.ts`).
    this.img.filter = imageAdjust.filter;
    let settle: ReturnType<typeof setTimeout> | undefined;
    const baked = (): void => {
      this.img.bake = true;
      this.invalidate();
    };
    this.cleanup.push(
      imageAdjust.subscribe(() => {
        this.img.filter = imageAdjust.filter;
        this.img.bake = false;
        clearTimeout(settle);
        settle = setTimeout(baked, FILTER_SETTLE_MS);
        this.invalidate();
      }),
      () => clearTimeout(settle),
    );
  }

  // ---- public API ----------------------------------------------------------------------------------------

  onChange(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  protected emit(): void {
    for (const fn of this.listeners) fn();
  }

  get zoom(): number {
    return this.view.scale;
  }

  /** Loads the item's image; without one (`null`: no media stored) the shapes are drawn on a blank image. */
  async loadImage(url: string | null): Promise<void> {
    this.img.image = null;
    if (url === null) {
      this.img.state = 'none';
      this.invalidate();
      this.emit();
      return;
    }
    this.img.state = 'loading';
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

  /** Shows `image` (drawn by the caller, e.g. a volume's slice under its window) instead of a loaded file; call it
   * again after drawing into the same canvas. The view (zoom, pan) stays. */
  showImage(image: CanvasImageSource): void {
    this.img.image = image;
    this.img.state = 'ready';
    buildLevels(this.img, this.core.item.width, this.core.item.height);
    this.invalidate();
    this.emit();
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
    // The keyboard's crosshair, while it shows, is where the rubber band goes (the pointer may rest anywhere).
    this.overlay.cursor = this.keyCursor ?? this.cursor;
    this.overlay.keyCursor = this.keyCursor;
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

  protected resize(): void {
    const size = fitCanvas(this.canvas, { width: this.width, height: this.height, dpr: this.dpr });
    if (!size) return;
    ({ width: this.width, height: this.height, dpr: this.dpr } = size);
    const [w, h] = [size.width, size.height];
    if (this.fitted) this.view = fitView(this.core.item.width, this.core.item.height, w, h);
    else this.view = constrainView(this.view, this.core.item.width, this.core.item.height, w, h);
    this.render();
    this.emit();
  }

  private minScale(): number {
    return minScale(fitView(this.core.item.width, this.core.item.height, this.width, this.height));
  }

  // ---- coordinates -----------------------------------------------------------------------------------------

  protected screenPoint(e: MouseEvent): Point {
    const r = this.canvas.getBoundingClientRect();
    return { x: e.clientX - r.left, y: e.clientY - r.top };
  }

  protected tol(): number {
    return TOL / this.view.scale;
  }

  protected hitOptions(): { tol: number; selected: Ann | null; visible: (a: Ann) => boolean } {
    return { tol: this.tol(), selected: this.core.selected ?? null, visible: (a: Ann) => this.core.visible(a) };
  }

  protected imagePoint(s: Point, clamp = true): Point {
    const p = toImage(this.view, s);
    return clamp ? clampPoint(p, this.core.item.width, this.core.item.height) : p;
  }
}
