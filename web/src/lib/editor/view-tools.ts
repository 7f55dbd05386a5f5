/**
 * The tools on the canvas, between the base (`view-frame.ts`) and the pointer input (`view.ts`): the polygon
 * being drawn (Enter, Backspace, Esc, closing it, a double-click; with the brush or eraser the outline of a
 * polygon fill, Shift+click), the same by keyboard (a crosshair moved by the
 * arrow keys, `polygonKeys.ts`), adding a point on an edge, cancelling a drag, and the cursor each tool and hit
 * shows.
 */

import { clampPoint, insertVertex, MIN_BOX } from './geometry';
import { hitTest, type Hit } from './hittest';
import { KeypointTool } from './keypoint-tool';
import { fillOutlineAt } from './mask-stroke';
import { isMaskTool } from './mask-tool';
import { keepInView, moveCursor, type PolygonKey, SAY, startPoint, TOO_FEW_POINTS, withVertex } from './polygonKeys';
import type { Handle, Point, Rect } from './types';
import { CanvasFrame } from './view-frame';
import { visibleRect } from './viewport';

/** How close (screen pixels) the keyboard's crosshair comes to the canvas edge before the view pans after it. */
const FOLLOW_MARGIN = 24;

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
  /** Says what a key did out of sight (the app's live region, `announce`). */
  onAnnounce: (text: string) => void = () => {};
  private lastKeyCursor: Point | null = null;
  /** Keypoints: placing an instance, picking, dragging and stepping its points (`keypoint-tool.ts`). */
  readonly kp: KeypointTool = this.keypointTool();

  private keypointTool(): KeypointTool {
    const kp = new KeypointTool({
      core: this.core,
      tol: () => this.tol(),
      setPreview: (a) => (this.overlay.preview = a),
      redraw: () => (this.invalidate(), this.emit()),
      announce: (text) => this.onAnnounce(text),
    });
    this.overlay.keypoints = kp.state;
    return kp;
  }

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
    return this.overlay.draftPolygon !== null || this.drag?.type === 'draw-box' || this.drag?.type === 'stroke';
  }

  setSpace(down: boolean): void {
    if (this.space === down) return;
    this.space = down;
    this.updateCursor(null);
  }

  /** Keys that act on the canvas state; returns true when the key was used. */
  handleKey(action: 'escape' | 'enter' | 'backspace'): boolean {
    if (this.kp.key(action)) return true;
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
      const added = this.core.addBox({ x1: cx - side / 2, y1: cy - side / 2, x2: cx + side / 2, y2: cy + side / 2 });
      if (added) this.onAnnounce(SAY.box);
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
      const placing = this.keyCursor !== null;
      this.dropKeyCursor();
      if (draft || this.drag || placing) {
        if (draft || placing) this.core.dismissNotice(TOO_FEW_POINTS);
        this.overlay.draftPolygon = null;
        this.cancelDrag();
        return true;
      }
    }
    return false;
  }

  /**
   * A key of the polygon placed by keyboard (`polygonKeyFor`); returns true when it was used. With the Polygon
   * tool, Enter shows the crosshair (or closes a polygon begun with the mouse, as before); once it shows, the
   * arrows move it, Space adds a point, Backspace removes one, Enter closes and Esc cancels. Arrow keys while a
   * polygon is being drawn with the mouse bring the crosshair up at its last point.
   */
  polygonKey(k: PolygonKey): boolean {
    const core = this.core;
    if (core.tool !== 'polygon' || core.readonly || this.drag) return false;
    const draft = this.overlay.draftPolygon;
    const W = core.item.width, H = core.item.height;
    if (this.keyCursor === null) {
      if (k.kind === 'close' && draft) {
        this.closePolygon();
        return true;
      }
      if (k.kind === 'close') {
        core.select(null);
        this.keyCursor = startPoint(this.seen(), W, H, this.lastKeyCursor);
        this.onAnnounce(SAY.start(this.keyCursor));
      } else if (k.kind === 'move' && draft && draft.length >= 2) {
        this.keyCursor = { x: Math.round(draft[draft.length - 2]!), y: Math.round(draft[draft.length - 1]!) };
        return this.polygonKey(k);
      } else return false;
    } else if (k.kind === 'move') {
      this.keyCursor = moveCursor(this.keyCursor, k.dx, k.dy, W, H);
      this.follow(this.keyCursor);
    } else if (k.kind === 'add') {
      const pts = withVertex(draft ?? [], this.keyCursor);
      if (pts) this.overlay.draftPolygon = pts;
      this.onAnnounce(pts ? SAY.added(pts.length / 2, this.keyCursor) : SAY.repeated(this.keyCursor));
    } else if (k.kind === 'undo') {
      if (draft) this.handleKey('backspace');
      this.onAnnounce(draft ? SAY.removed((this.overlay.draftPolygon?.length ?? 0) / 2) : SAY.none);
    } else if (k.kind === 'close') {
      const n = (draft?.length ?? 0) / 2;
      if (n < 3) {
        core.notify(TOO_FEW_POINTS, 'warn');
        this.onAnnounce(SAY.tooFew(n));
      } else {
        this.dropKeyCursor();
        this.closePolygon();
        if (core.selected?.kind === 'polygon') this.onAnnounce(SAY.closed(n));
      }
    } else {
      this.handleKey('escape');
      this.onAnnounce(SAY.cancelled);
    }
    this.invalidate();
    this.emit();
    return true;
  }

  /** Hides the keyboard's crosshair (the mouse took over, another tool or shape was chosen); it comes back at
   * the same place with Enter while that is in view. */
  dropKeyCursor(): void {
    if (this.keyCursor === null) return;
    this.lastKeyCursor = this.keyCursor;
    this.keyCursor = null;
    this.invalidate();
    this.emit();
  }

  private seen(): Rect {
    return visibleRect(this.view, this.width, this.height);
  }

  /** Pans so that the crosshair stays in sight. */
  private follow(p: Point): void {
    const { dx, dy } = keepInView(this.seen(), p, FOLLOW_MARGIN / this.view.scale);
    if (dx === 0 && dy === 0) return;
    const s = this.view.scale;
    this.setView({ scale: s, tx: this.view.tx - dx * s, ty: this.view.ty - dy * s });
  }

  protected cancelDrag(): void {
    this.drag = null;
    this.kp.cancelDrag();
    this.overlay.preview = null;
    this.overlay.draftBox = null;
    this.overlay.band = null;
    this.overlay.stroke = null;
    this.updateCursor(null);
    this.invalidate();
  }

  /** The brush's or eraser's polygon fill: a Shift+click starts an outline, and while one is open every click adds
   * a point to it; a click on its first point (with 3 points or more) fills it. */
  protected outlineClick(s: Point): void {
    const draft = this.overlay.draftPolygon;
    if (draft && this.overlay.closing) this.closePolygon();
    else {
      const q = this.imagePoint(s);
      if (draft) draft.push(q.x, q.y);
      else this.overlay.draftPolygon = [q.x, q.y];
    }
    this.invalidate();
  }

  protected onDoubleClick(e: MouseEvent): void {
    const core = this.core;
    if (core.readonly) return;
    if ((core.tool === 'polygon' || isMaskTool(core.tool)) && this.overlay.draftPolygon) {
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
      this.core.notify(TOO_FEW_POINTS, 'warn');
      this.invalidate();
      return;
    }
    this.core.dismissNotice(TOO_FEW_POINTS);
    // With the brush or the eraser the outline is a polygon fill, not a new polygon.
    if (isMaskTool(this.core.tool)) fillOutlineAt(this.core, pts, this.hitOptions());
    else this.core.addPolygon(pts);
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
    else if (d?.type === 'band') c = 'crosshair';
    else if (this.kp.dragging) c = 'grabbing';
    else if (this.core.tool === 'select' && this.kp.overEdge && !this.core.readonly) c = 'move';
    else if (!this.core.readonly && this.core.tool !== 'select' && !(hit && hit.part.type !== 'body')) c = 'crosshair';
    else if (hit?.part.type === 'handle') c = HANDLE_CURSOR[hit.part.handle];
    else if (hit?.part.type === 'vertex') c = 'grab';
    else if (hit?.part.type === 'edge') c = 'copy';
    else if (hit) c = this.core.readonly || this.core.get(hit.key)?.kind === 'mask' ? 'pointer' : 'move';
    if (this.canvas.style.cursor !== c) this.canvas.style.cursor = c;
  }
}
