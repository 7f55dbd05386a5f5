/**
 * Drawing one frame on a 2D canvas: the image, then the annotations inside the visible part of it (culled with
 * the spatial index and batched into one path per colour and style, so 1,000 boxes cost a few dozen canvas
 * calls), then the selection, the shape being drawn, and the crosshair.
 */

import type { EditorCore } from './core';
import { annBounds, handlePoints } from './geometry';
import { isProposal } from './proposals';
import { type Ann, HANDLES, type Point, type Rect } from './types';
import { toScreen, type View, visibleRect } from './viewport';

export interface Overlay {
  /** An annotation being moved or resized: drawn instead of the stored one. */
  preview: Ann | null;
  hoverKey: string | null;
  /** A box being drawn (image coordinates). */
  draftBox: Rect | null;
  /** A polygon being drawn: its points so far. */
  draftPolygon: number[] | null;
  /** The pointer in image coordinates, for the crosshair and the polygon's rubber band. */
  cursor: Point | null;
  /** The polygon would close if clicked now (the pointer is on its first point). */
  closing: boolean;
}

export interface Surface {
  ctx: CanvasRenderingContext2D;
  /** CSS pixels. */
  width: number;
  height: number;
  dpr: number;
}

export interface ImageSource {
  image: CanvasImageSource | null;
  state: 'loading' | 'ready' | 'error';
  /** Copies of the image at 1/2, 1/4, ... (built once it loads), for cheap zoomed-out draws. */
  levels?: { scale: number; canvas: HTMLCanvasElement }[];
  /** A copy at exactly the current device scale, built once the scale holds still (panning is then a blit). */
  exact?: { scale: number; canvas: HTMLCanvasElement } | null;
  /** The device scale of the previous frame. */
  lastScale?: number;
}

const BG = '#15171c';
const LABEL_FONT = '600 11px Inter, ui-sans-serif, system-ui, sans-serif';
/** Above this many visible shapes only the selected and hovered shapes get a text label. */
const LABELS_MAX = 300;
/** Above this many visible shapes, shapes are outlines only (clearer when dense, and cheaper to rasterise). */
const FILL_MAX = 300;
/** The largest exact-scale copy of the image kept (device pixels). */
const EXACT_MAX_PIXELS = 8_000_000;

interface Group {
  color: string;
  solid: Ann[];
  dashed: Ann[];
  faded: Ann[];
}

/*
 * Why shapes are drawn the way they are (measured in headless Chromium with software raster, 1,000 boxes):
 * one path of many rectangles stroked wider than one device pixel costs ~20-35 ms to rasterise, dashed even
 * more, while one strokeRect/fillRect per box costs ~2 ms in all, and a one-device-pixel ("hairline") path,
 * dashed or not, ~1.5 ms. So: solid boxes per rectangle, dashed outlines (proposals) as hairline paths drawn
 * twice one pixel apart, polygons one path each. The image is drawn from a copy near the current scale.
 */

function drawShapes(ctx: CanvasRenderingContext2D, groups: Map<string, Group>, k: number, dpr: number, fill: boolean): void {
  const line = 1.5 / k;
  const hair = 1 / (k * dpr);
  for (const g of groups.values()) {
    ctx.strokeStyle = g.color;
    ctx.fillStyle = g.color;
    if (g.solid.length) {
      if (fill) {
        ctx.globalAlpha = 0.1;
        for (const a of g.solid) fillShape(ctx, a);
        ctx.globalAlpha = 1;
      }
      ctx.lineWidth = line;
      for (const a of g.solid) strokeShape(ctx, a);
    }
    if (g.dashed.length) {
      if (fill) {
        ctx.globalAlpha = 0.05;
        for (const a of g.dashed) fillShape(ctx, a);
        ctx.globalAlpha = 1;
      }
      ctx.lineWidth = hair;
      ctx.setLineDash([6 / k, 4 / k]);
      ctx.beginPath();
      for (const a of g.dashed) tracePath(ctx, a);
      ctx.stroke();
      ctx.translate(hair, hair);
      ctx.stroke();
      ctx.translate(-hair, -hair);
      ctx.setLineDash([]);
    }
    if (g.faded.length) {
      ctx.globalAlpha = 0.5;
      ctx.strokeStyle = '#9aa3af';
      ctx.lineWidth = hair;
      ctx.setLineDash([2 / k, 3 / k]);
      ctx.beginPath();
      for (const a of g.faded) tracePath(ctx, a);
      ctx.stroke();
      ctx.setLineDash([]);
      ctx.globalAlpha = 1;
    }
  }
}

function fillShape(ctx: CanvasRenderingContext2D, a: Ann): void {
  const b = a.geometry.bbox;
  if (a.kind !== 'polygon' && b && b.length === 4) {
    ctx.fillRect(b[0]!, b[1]!, b[2]! - b[0]!, b[3]! - b[1]!);
    return;
  }
  ctx.beginPath();
  tracePath(ctx, a);
  ctx.fill();
}

function strokeShape(ctx: CanvasRenderingContext2D, a: Ann): void {
  const b = a.geometry.bbox;
  if (a.kind !== 'polygon' && b && b.length === 4) {
    ctx.strokeRect(b[0]!, b[1]!, b[2]! - b[0]!, b[3]! - b[1]!);
    return;
  }
  ctx.beginPath();
  tracePath(ctx, a);
  ctx.stroke();
}

function scaledCopy(src: CanvasImageSource, w: number, h: number): HTMLCanvasElement {
  const c = document.createElement('canvas');
  c.width = Math.max(1, Math.round(w));
  c.height = Math.max(1, Math.round(h));
  const g = c.getContext('2d');
  if (g) {
    g.imageSmoothingQuality = 'high';
    g.drawImage(src, 0, 0, c.width, c.height);
  }
  return c;
}

/** Build the 1/2, 1/4, ... copies of a freshly loaded image (down to about 256 px). */
export function buildLevels(img: ImageSource, width: number, height: number): void {
  if (!img.image) return;
  const levels: { scale: number; canvas: HTMLCanvasElement }[] = [];
  let src: CanvasImageSource = img.image;
  for (let s = 0.5; Math.max(width, height) * s >= 256; s /= 2) {
    const c = scaledCopy(src, width * s, height * s);
    levels.push({ scale: s, canvas: c });
    src = c;
  }
  img.levels = levels;
  img.exact = null;
}

/**
 * Draw the image under the current transform (image coordinates), `ds` being device pixels per image pixel.
 * Zoomed in, pixels are drawn sharp (no smoothing: annotators want to see them, and it is cheaper). Zoomed
 * out, a copy at exactly this scale is made once the scale holds still for a frame, so a pan only blits it;
 * while the scale changes, the nearest larger 1/2^n copy is used.
 */
function drawImageScaled(ctx: CanvasRenderingContext2D, img: ImageSource, W: number, H: number, ds: number): void {
  const image = img.image!;
  const steady = img.lastScale === ds;
  img.lastScale = ds;
  if (ds >= 1) {
    ctx.imageSmoothingEnabled = ds < 1.5;
    ctx.drawImage(image, 0, 0, W, H);
    ctx.imageSmoothingEnabled = true;
    return;
  }
  let exact = img.exact;
  if ((!exact || exact.scale !== ds) && steady && W * H * ds * ds <= EXACT_MAX_PIXELS) {
    let src: CanvasImageSource = image;
    for (const l of img.levels ?? []) if (l.scale >= ds) src = l.canvas;
    exact = { scale: ds, canvas: scaledCopy(src, W * ds, H * ds) };
    img.exact = exact;
  }
  if (exact && exact.scale === ds) {
    ctx.drawImage(exact.canvas, 0, 0, W, H);
    return;
  }
  let src: CanvasImageSource = image;
  for (const l of img.levels ?? []) if (l.scale >= ds) src = l.canvas;
  ctx.drawImage(src, 0, 0, W, H);
}

const textWidths = new Map<string, number>();

function measure(ctx: CanvasRenderingContext2D, text: string): number {
  let w = textWidths.get(text);
  if (w === undefined) {
    w = ctx.measureText(text).width;
    if (textWidths.size > 5000) textWidths.clear();
    textWidths.set(text, w);
  }
  return w;
}

function tracePath(ctx: CanvasRenderingContext2D, a: Ann): void {
  if (a.kind === 'polygon') {
    const p = a.geometry.points ?? [];
    if (p.length < 6) return;
    ctx.moveTo(p[0]!, p[1]!);
    for (let i = 2; i + 1 < p.length; i += 2) ctx.lineTo(p[i]!, p[i + 1]!);
    ctx.closePath();
    return;
  }
  const b = a.geometry.bbox;
  if (b && b.length === 4) ctx.rect(b[0]!, b[1]!, b[2]! - b[0]!, b[3]! - b[1]!);
}

export function labelText(a: Ann): string {
  const name = a.label ?? '(no label)';
  return a.source === 'model' && a.score !== null ? `${name} ${a.score.toFixed(2)}` : name;
}

/** Draw one frame; returns how many annotations were drawn. */
export function drawFrame(
  s: Surface,
  core: EditorCore,
  view: View,
  img: ImageSource,
  overlay: Overlay,
): number {
  const { ctx, width, height, dpr } = s;
  const W = core.item.width;
  const H = core.item.height;
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.fillStyle = BG;
  ctx.fillRect(0, 0, width, height);

  // The image, in image coordinates.
  const k = view.scale;
  ctx.setTransform(dpr * k, 0, 0, dpr * k, dpr * view.tx, dpr * view.ty);
  if (img.state === 'ready' && img.image) {
    drawImageScaled(ctx, img, W, H, k * dpr);
  } else {
    ctx.fillStyle = '#22262e';
    ctx.fillRect(0, 0, W, H);
  }

  // Visible annotations grouped by colour and style.
  const vis = visibleRect(view, width, height);
  const pad = 4 / k;
  const entries = core.index.query({ x1: vis.x1 - pad, y1: vis.y1 - pad, x2: vis.x2 + pad, y2: vis.y2 + pad });
  const groups = new Map<string, Group>();
  const selKey = core.selectedKey;
  const preview = overlay.preview;
  let selected: Ann | null = null;
  let hovered: Ann | null = null;
  const shown: Ann[] = [];
  for (const e of entries) {
    let a = e.value;
    if (preview && a.key === preview.key) a = preview;
    if (!core.visible(a)) continue;
    if (a.key === selKey) {
      selected = a;
      continue;
    }
    if (a.key === overlay.hoverKey) hovered = a;
    shown.push(a);
    const color = core.colorOf(a.label);
    let g = groups.get(color);
    if (!g) {
      g = { color, solid: [], dashed: [], faded: [] };
      groups.set(color, g);
    }
    if (a.state === 'rejected') g.faded.push(a);
    else if (isProposal(a)) g.dashed.push(a);
    else g.solid.push(a);
  }
  if (!selected && selKey !== null) {
    const a = core.get(selKey);
    if (a && core.visible(a)) selected = preview && preview.key === selKey ? preview : a;
  }

  drawShapes(ctx, groups, k, dpr, shown.length <= FILL_MAX);
  if (hovered) {
    ctx.beginPath();
    tracePath(ctx, hovered);
    ctx.lineWidth = 3 / k;
    ctx.strokeStyle = core.colorOf(hovered.label);
    if (isProposal(hovered)) ctx.setLineDash([6 / k, 4 / k]);
    ctx.stroke();
    ctx.setLineDash([]);
  }

  // Labels, in screen space.
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.font = LABEL_FONT;
  ctx.textBaseline = 'middle';
  if (shown.length <= LABELS_MAX) {
    for (const a of shown) drawLabel(ctx, core, view, a, false);
  } else if (hovered) {
    drawLabel(ctx, core, view, hovered, false);
  }

  if (selected) drawSelected(ctx, core, view, selected, dpr);
  drawDrafts(ctx, core, view, overlay, width, height);
  return shown.length + (selected ? 1 : 0);
}

function drawLabel(ctx: CanvasRenderingContext2D, core: EditorCore, view: View, a: Ann, strong: boolean): void {
  const r = annBounds(a);
  if (!r) return;
  const p = toScreen(view, { x: r.x1, y: r.y1 });
  const wScreen = (r.x2 - r.x1) * view.scale;
  if (!strong && wScreen < 18) return;
  const text = labelText(a);
  const tw = measure(ctx, text);
  const h = 16;
  const x = p.x;
  const y = p.y - h >= 0 ? p.y - h : p.y;
  const color = core.colorOf(a.label);
  const proposal = isProposal(a);
  ctx.globalAlpha = proposal && !strong ? 0.8 : 1;
  ctx.fillStyle = proposal ? 'rgba(17, 20, 26, 0.85)' : color;
  ctx.fillRect(x, y, tw + 10, h);
  if (proposal) {
    ctx.strokeStyle = color;
    ctx.lineWidth = 1;
    ctx.strokeRect(x + 0.5, y + 0.5, tw + 9, h - 1);
  }
  ctx.fillStyle = proposal ? color : readableOn(color);
  ctx.fillText(text, x + 5, y + h / 2 + 0.5);
  ctx.globalAlpha = 1;
}

/** Black or white text, whichever reads better on `hex`. */
export function readableOn(hex: string): string {
  const m = /^#?([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(hex);
  if (!m) return '#fff';
  const [r, g, b] = [m[1]!, m[2]!, m[3]!].map((h) => parseInt(h, 16) / 255) as [number, number, number];
  const lum = 0.2126 * r + 0.7152 * g + 0.0722 * b;
  return lum > 0.55 ? '#111' : '#fff';
}

function drawSelected(ctx: CanvasRenderingContext2D, core: EditorCore, view: View, a: Ann, dpr: number): void {
  const k = view.scale;
  const color = core.colorOf(a.label);
  ctx.setTransform(dpr * k, 0, 0, dpr * k, dpr * view.tx, dpr * view.ty);
  ctx.beginPath();
  tracePath(ctx, a);
  ctx.globalAlpha = 0.22;
  ctx.fillStyle = color;
  ctx.fill();
  ctx.globalAlpha = 1;
  ctx.lineWidth = 4 / k;
  ctx.strokeStyle = 'rgba(0,0,0,0.55)';
  ctx.stroke();
  ctx.lineWidth = 2 / k;
  ctx.strokeStyle = color;
  if (isProposal(a)) ctx.setLineDash([6 / k, 4 / k]);
  ctx.stroke();
  ctx.setLineDash([]);

  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.font = LABEL_FONT;
  drawLabel(ctx, core, view, a, true);
  // Handles or vertices, a constant size on screen.
  const hs = 4;
  ctx.lineWidth = 1.5;
  ctx.strokeStyle = color;
  ctx.fillStyle = '#fff';
  if (a.kind === 'polygon') {
    const pts = a.geometry.points ?? [];
    ctx.beginPath();
    for (let i = 0; i + 1 < pts.length; i += 2) {
      const p = toScreen(view, { x: pts[i]!, y: pts[i + 1]! });
      ctx.moveTo(p.x + hs, p.y);
      ctx.arc(p.x, p.y, hs, 0, Math.PI * 2);
    }
    ctx.fill();
    ctx.stroke();
    return;
  }
  const r = annBounds(a);
  if (!r) return;
  const hp = handlePoints(r);
  const small = (r.x2 - r.x1) * view.scale < 24 || (r.y2 - r.y1) * view.scale < 24;
  ctx.beginPath();
  for (const h of small ? (['nw', 'ne', 'se', 'sw'] as const) : HANDLES) {
    const p = toScreen(view, hp[h]);
    ctx.rect(Math.round(p.x) - hs + 0.5, Math.round(p.y) - hs + 0.5, hs * 2, hs * 2);
  }
  ctx.fill();
  ctx.stroke();
}

function drawDrafts(
  ctx: CanvasRenderingContext2D,
  core: EditorCore,
  view: View,
  o: Overlay,
  width: number,
  height: number,
): void {
  const color = core.colorOf(core.currentLabel);
  if (o.cursor && core.tool !== 'select' && !core.readonly) {
    const c = toScreen(view, o.cursor);
    ctx.strokeStyle = 'rgba(255,255,255,0.35)';
    ctx.lineWidth = 1;
    ctx.beginPath();
    ctx.moveTo(0, Math.round(c.y) + 0.5);
    ctx.lineTo(width, Math.round(c.y) + 0.5);
    ctx.moveTo(Math.round(c.x) + 0.5, 0);
    ctx.lineTo(Math.round(c.x) + 0.5, height);
    ctx.stroke();
  }
  if (o.draftBox) {
    const a = toScreen(view, { x: o.draftBox.x1, y: o.draftBox.y1 });
    const b = toScreen(view, { x: o.draftBox.x2, y: o.draftBox.y2 });
    ctx.fillStyle = color;
    ctx.globalAlpha = 0.15;
    ctx.fillRect(a.x, a.y, b.x - a.x, b.y - a.y);
    ctx.globalAlpha = 1;
    ctx.strokeStyle = color;
    ctx.lineWidth = 2;
    ctx.strokeRect(a.x, a.y, b.x - a.x, b.y - a.y);
    const text = `${Math.round(o.draftBox.x2 - o.draftBox.x1)} × ${Math.round(o.draftBox.y2 - o.draftBox.y1)}`;
    ctx.font = LABEL_FONT;
    const tw = measure(ctx, text);
    ctx.fillStyle = 'rgba(17,20,26,0.85)';
    ctx.fillRect(b.x + 6, b.y + 6, tw + 10, 16);
    ctx.fillStyle = '#fff';
    ctx.textBaseline = 'middle';
    ctx.fillText(text, b.x + 11, b.y + 14.5);
  }
  const pts = o.draftPolygon;
  if (pts && pts.length >= 2) {
    ctx.strokeStyle = color;
    ctx.lineWidth = 2;
    ctx.beginPath();
    const first = toScreen(view, { x: pts[0]!, y: pts[1]! });
    ctx.moveTo(first.x, first.y);
    for (let i = 2; i + 1 < pts.length; i += 2) {
      const p = toScreen(view, { x: pts[i]!, y: pts[i + 1]! });
      ctx.lineTo(p.x, p.y);
    }
    if (o.cursor) {
      const c = o.closing ? first : toScreen(view, o.cursor);
      ctx.lineTo(c.x, c.y);
    }
    ctx.stroke();
    if (pts.length >= 6) {
      ctx.fillStyle = color;
      ctx.globalAlpha = 0.12;
      ctx.fill();
      ctx.globalAlpha = 1;
    }
    ctx.fillStyle = '#fff';
    ctx.lineWidth = 1.5;
    for (let i = 0; i + 1 < pts.length; i += 2) {
      const p = toScreen(view, { x: pts[i]!, y: pts[i + 1]! });
      const r = i === 0 && o.closing ? 6 : 3.5;
      ctx.beginPath();
      ctx.arc(p.x, p.y, r, 0, Math.PI * 2);
      ctx.fill();
      ctx.stroke();
    }
  }
}
