/**
 * The tools on the canvas, between the base (`view-frame.ts`) and the pointer input (`view.ts`): the polygon
 * being drawn (Enter, Backspace, Esc, closing it, a double-click), adding a point on an edge, cancelling a
 * drag, and the cursor each tool and hit shows.
 */

import { clampPoint, insertVertex, MIN_BOX } from './geometry';
import { hitTest, type Hit } from './hittest';
import type { Handle, Rect } from './types';
import { CanvasFrame } from './view-frame';
import { visibleRect } from './viewport';

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

export abstract class CanvasTools extends CanvasFrame {
  /** Shows an error of the "Box → polygon" tool (the app's toast); the status line says it either way. */
  onSegmentError: (err: unknown) => void = () => {};

  /** Box to polygon: the box stays drawn while the server finds the outline, then the polygon replaces it. */
  protected segment(r: Rect): void {
    this.overlay.draftBox = r;
    this.invalidate();
    this.core
      .segmentBox(r)
      .catch((err: unknown) => this.onSegmentError(err))
      .finally(() => {
        if (this.overlay.draftBox === r) this.overlay.draftBox = null;
        this.invalidate();
      });
  }

  get drawing(): boolean {
    return this.overlay.draftPolygon !== null || this.drag?.type === 'draw-box';
  }

  setSpace(down: boolean): void {
    if (this.space === down) return;
    this.space = down;
    this.updateCursor(null);
  }

  /** Keys that act on the canvas state; returns true when the key was used. */
  handleKey(action: 'escape' | 'enter' | 'backspace'): boolean {
    const draft = this.overlay.draftPolygon;
    if (action === 'enter' && draft) {
      this.closePolygon();
      return true;
    }
    if (action === 'enter' && this.core.tool === 'box' && !this.drag && !this.core.readonly) {
      // The keyboard's way to draw: a box in the middle of what is shown, which the arrow keys then move and
      // (with Ctrl) resize.
      const seen = visibleRect(this.view, this.width, this.height);
      const x1 = Math.max(0, seen.x1), y1 = Math.max(0, seen.y1);
      const x2 = Math.min(this.core.item.width, seen.x2), y2 = Math.min(this.core.item.height, seen.y2);
      const side = Math.max(MIN_BOX, Math.min(x2 - x1, y2 - y1) / 4);
      const cx = (x1 + x2) / 2, cy = (y1 + y2) / 2;
      this.core.addBox({ x1: cx - side / 2, y1: cy - side / 2, x2: cx + side / 2, y2: cy + side / 2 });
      this.invalidate();
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

  protected cancelDrag(): void {
    this.drag = null;
    this.overlay.preview = null;
    this.overlay.draftBox = null;
    this.updateCursor(null);
    this.invalidate();
  }

  protected onDoubleClick(e: MouseEvent): void {
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

  protected closePolygon(): void {
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

  protected updateCursor(hit: Hit | null): void {
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
