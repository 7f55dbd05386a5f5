/**
 * The canvas: sizing, the image, pointer and wheel input turned into EditorCore commands, and a redraw in
 * requestAnimationFrame only when something changed. Also keeps the frame-time probe the benchmark reads.
 *
 * `CanvasView` is built in layers: `view-frame.ts` (the canvas, sizing, the image, the view transform, redraw
 * scheduling and the probe), `view-tools.ts` (the polygon tool, Esc/Enter/Backspace, the cursor), and here the
 * pointer and wheel input: clicks, drags (pan, draw, move, resize, vertex) and zoom.
 */

import { capturePointer, listener } from './canvas';
import type { EditorCore } from './core';
import {
  annBounds,
  clampMove,
  clampPoint,
  MIN_BOX,
  rectFromPoints,
  rectToBox,
  removeVertex,
  resizeRect,
  setVertex,
  translatePoints,
} from './geometry';
import { clickTarget, covers, hitTest } from './hittest';
import { beginStroke, extendStroke, finishStroke } from './mask-stroke';
import { isMaskTool } from './mask-tool';
import { selectionSaid } from './say';
import type { Ann, Point } from './types';
import type { Drag } from './view-frame';
import { CanvasTools } from './view-tools';
import { ZOOM_STEP } from './viewport';

export type { Probe } from './view-frame';

export class CanvasView extends CanvasTools {
  constructor(canvas: HTMLCanvasElement, core: EditorCore) {
    super(canvas, core);
    const on = listener(canvas, this.cleanup);
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

  // ---- pointer input -------------------------------------------------------------------------------------

  /**
   * Select from a click, and draw at once rather than in the next animation frame: a click is a single event,
   * so this saves up to a frame of delay before the selection shows.
   */
  private selectFromInput(key: string | null, e: PointerEvent): void {
    if (key === this.core.selectedKey && this.core.selectedKeys.size <= 1) return;
    if (key !== null) this.pendingSelect = { key, at: e.timeStamp };
    this.core.select(key);
    this.render();
  }

  private onDown(e: PointerEvent): void {
    this.canvas.focus({ preventScroll: true });
    this.dropKeyCursor();
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

    if (editable && isMaskTool(core.tool)) {
      if (e.shiftKey || this.overlay.draftPolygon) return this.outlineClick(s);
      const stroke = beginStroke(core, this.imagePoint(s), this.hitOptions());
      if (stroke) this.startDrag(e, { type: 'stroke', stroke });
      this.overlay.stroke = stroke;
      this.invalidate();
      return;
    }
    // Keypoints first: the Keypoints tool places points, and a point or edge of an instance is picked by itself.
    if (!(e.shiftKey || e.ctrlKey || e.metaKey) && this.kp.down(p, this.imagePoint(s))) {
      if (this.kp.dragging) capturePointer(this.canvas, e);
      return;
    }
    const hit = hitTest(core.index, p, this.hitOptions());
    if (core.tool === 'select' && (e.shiftKey || e.ctrlKey || e.metaKey)) {
      // A keypoints instance is hit by a point or an edge (it is not in the index), before the shapes, as without Shift.
      this.pickMany(e, this.kp.instanceAt(p) ?? hit?.key ?? null, p, s);
      return;
    }
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
    if (editable && (core.tool === 'box' || core.tool === 'grabcut')) {
      if (core.tool === 'grabcut' && core.segmenting) return core.notify('Still finding the outline of the last box', 'warn');
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

  /**
   * Shift, Ctrl or Cmd with the Select tool: a click on a shape adds it to the selection or takes it out; Shift+drag
   * draws the rubber band, which adds every shape lying wholly inside it, wherever it starts (on a shape too: that
   * shape is toggled only when the press ends without moving).
   */
  private pickMany(e: PointerEvent, key: string | null, p: Point, s: Point): void {
    if (e.shiftKey) {
      this.overlay.band = null;
      this.startDrag(e, { type: 'band', start: p, startScreen: s, toggle: key });
      return;
    }
    if (key !== null) this.toggleFromInput(key);
  }

  private toggleFromInput(key: string): void {
    const core = this.core;
    core.toggleSelect(key);
    this.render();
    this.onAnnounce(selectionSaid(core.selectionCounts()));
  }

  private startVertexDrag(e: PointerEvent, a: Ann, index: number): void {
    this.startDrag(e, { type: 'vertex', key: a.key, index, orig: a });
  }

  private startDrag(e: PointerEvent, d: Drag): void {
    this.drag = d;
    capturePointer(this.canvas, e);
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
    if (this.kp.move(raw, clampPoint(raw, W, H))) return;
    if (!d) {
      if (this.overlay.draftPolygon) {
        const pts = this.overlay.draftPolygon;
        const first = { x: pts[0]!, y: pts[1]! };
        this.overlay.closing = !this.keyCursor && pts.length >= 6 && Math.hypot(first.x - raw.x, first.y - raw.y) <= this.tol() * 1.5;
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
      case 'band':
        // Under the same 3 screen pixels as a move, the press is still a Shift+click.
        if (!this.overlay.band && Math.hypot(s.x - d.startScreen.x, s.y - d.startScreen.y) < 3) return;
        this.overlay.band = rectFromPoints(d.start, p);
        break;
      case 'stroke':
        extendStroke(d.stroke, p);
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
    if (this.kp.up()) return this.updateCursor(null);
    const core = this.core;
    const preview = this.overlay.preview;
    this.overlay.preview = null;
    if (!d) return;
    switch (d.type) {
      case 'draw-box': {
        const r = this.overlay.draftBox;
        this.overlay.draftBox = null;
        if (r && core.tool === 'grabcut' && (r.x2 > r.x1 || r.y2 > r.y1)) {
          // Any drag is a box to segment: one too small is refused with a message (core.segmentBox), not a click.
          this.segment(r);
        } else if (r && r.x2 - r.x1 >= MIN_BOX && r.y2 - r.y1 >= MIN_BOX && (r.x2 - r.x1) * this.view.scale >= 4) {
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
      case 'band': {
        const r = this.overlay.band;
        this.overlay.band = null;
        if (!r && d.toggle !== null) this.toggleFromInput(d.toggle);
        else if (r && core.selectInside(r) > 0) this.onAnnounce(selectionSaid(core.selectionCounts()));
        break;
      }
      case 'stroke':
        this.overlay.stroke = null;
        finishStroke(core, d.stroke);
        break;
      case 'pan':
        break;
    }
    this.updateCursor(null);
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
}

function moved(a: Ann, dx: number, dy: number): Ann {
  if (a.kind === 'mask') return a; // masks are not dragged: the brush and eraser edit them
  if (a.kind === 'polygon') return { ...a, geometry: { ...a.geometry, points: translatePoints(a.geometry.points ?? [], dx, dy) } };
  const r = annBounds(a);
  if (!r) return a;
  return { ...a, geometry: { ...a.geometry, bbox: rectToBox({ x1: r.x1 + dx, y1: r.y1 + dy, x2: r.x2 + dx, y2: r.y2 + dy }) } };
}
