/**
 * Masks in a frame: each mask is a tinted bitmap in its class colour, built once per geometry object and colour
 * (a canvas the size of the rectangle its pixels cover) so that a pan or a zoom only draws it (`drawImage`);
 * its outline (pixels next to an unset one) is built the first time it is selected or hovered. Proposals are
 * fainter with a dashed frame round them, like other proposals; rejected ones faint grey. Also the brush circle.
 */

import type { EditorCore } from './core';
import type { LiveStroke } from './mask-stroke';
import { isMaskTool } from './mask-tool';
import { maskBitmap, maskInfo } from './masks';
import { isProposal } from './proposals';
import type { Ann, Geometry, Point, Rect } from './types';
import { toScreen, type View } from './viewport';

export type AnyCanvas = HTMLCanvasElement | OffscreenCanvas;

export interface MaskCanvas {
  color: string;
  bounds: Rect;
  fill: AnyCanvas;
  edge: AnyCanvas | null;
}

const cache = new WeakMap<Geometry, MaskCanvas>();
const GREY = '#9aa3af';

export function newCanvas(w: number, h: number): AnyCanvas {
  if (typeof OffscreenCanvas !== 'undefined') return new OffscreenCanvas(Math.max(1, w), Math.max(1, h));
  const c = document.createElement('canvas');
  c.width = Math.max(1, w);
  c.height = Math.max(1, h);
  return c;
}

/** `#rrggbb` as one little-endian RGBA word (what a Uint32Array over ImageData holds). */
function packed(hex: string): number {
  const m = /^#?([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(hex);
  const [r, g, b] = m ? [m[1]!, m[2]!, m[3]!].map((x) => parseInt(x, 16)) : [154, 163, 175];
  return ((255 << 24) | (b! << 16) | (g! << 8) | r!) >>> 0;
}

function paint(bounds: Rect, color: string, set: (put: (x: number, y: number) => void) => void): AnyCanvas {
  const bw = bounds.x2 - bounds.x1;
  const bh = bounds.y2 - bounds.y1;
  const c = newCanvas(bw, bh);
  const g = c.getContext('2d') as CanvasRenderingContext2D | null;
  if (!g) return c;
  const img = g.createImageData(bw, bh);
  const px = new Uint32Array(img.data.buffer);
  const word = packed(color);
  set((x, y) => {
    px[(y - bounds.y1) * bw + (x - bounds.x1)] = word;
  });
  g.putImageData(img, 0, 0);
  return c;
}

/** The tinted canvas of a mask in `color` (and its pixel rectangle), or null for an empty or unreadable mask. */
export function maskCanvas(a: Ann, color: string): MaskCanvas | null {
  const g = a.geometry;
  const hit = cache.get(g);
  if (hit && hit.color === color) return hit;
  const info = maskInfo(g);
  const bounds = info.bounds;
  if (!info.runs || !bounds) return null;
  const runs = info.runs;
  const h = info.h;
  const fill = paint(bounds, color, (put) => {
    let at = 0;
    for (let i = 0; i < runs.length; i++) {
      const n = runs[i]!;
      if (i % 2 === 1) for (let k = at; k < at + n; k++) put(Math.floor(k / h), k % h);
      at += n;
    }
  });
  const out: MaskCanvas = { color, bounds, fill, edge: null };
  cache.set(g, out);
  return out;
}

function edgeOf(a: Ann, m: MaskCanvas): AnyCanvas | null {
  if (m.edge) return m.edge;
  const b = maskBitmap(a.geometry);
  if (!b) return null;
  const { h, w, data } = b;
  const r = m.bounds;
  m.edge = paint(r, m.color, (put) => {
    for (let x = r.x1; x < r.x2; x++) {
      for (let y = r.y1; y < r.y2; y++) {
        const i = x * h + y;
        if (!data[i]) continue;
        const inner = y > 0 && y < h - 1 && x > 0 && x < w - 1 && data[i - 1] && data[i + 1] && data[i - h] && data[i + h];
        if (!inner) put(x, y);
      }
    }
  });
  return m.edge;
}

/**
 * Draw the masks `masks` (visible ones, in list order) under the current image transform; `strong` are the keys
 * drawn selected or hovered (a stronger fill and the outline). A stroke being drawn replaces its mask.
 */
export function drawMasks(
  ctx: CanvasRenderingContext2D,
  core: EditorCore,
  masks: readonly Ann[],
  strong: (key: string) => boolean,
  stroke: LiveStroke | null,
  k: number,
): void {
  if (masks.length === 0 && !stroke) return;
  ctx.imageSmoothingEnabled = false;
  for (const a of masks) {
    if (stroke?.target?.key === a.key) continue;
    const rejected = a.state === 'rejected';
    const m = maskCanvas(a, rejected ? GREY : core.colorOf(a.label));
    if (!m) continue;
    const proposal = isProposal(a);
    const bold = strong(a.key);
    ctx.globalAlpha = rejected ? 0.15 : bold ? 0.55 : proposal ? 0.25 : 0.4;
    ctx.drawImage(m.fill as CanvasImageSource, m.bounds.x1, m.bounds.y1);
    if (bold) {
      const edge = edgeOf(a, m);
      ctx.globalAlpha = 1;
      if (edge) ctx.drawImage(edge as CanvasImageSource, m.bounds.x1, m.bounds.y1);
    }
    if (proposal) {
      ctx.globalAlpha = 0.9;
      ctx.strokeStyle = m.color;
      ctx.lineWidth = 1 / k;
      ctx.setLineDash([6 / k, 4 / k]);
      const r = m.bounds;
      ctx.strokeRect(r.x1, r.y1, r.x2 - r.x1, r.y2 - r.y1);
      ctx.setLineDash([]);
    }
  }
  if (stroke) {
    ctx.globalAlpha = 0.55;
    ctx.drawImage(stroke.canvas as CanvasImageSource, 0, 0);
  }
  ctx.globalAlpha = 1;
  ctx.imageSmoothingEnabled = true;
}

/** The brush (or eraser) circle under the pointer, in screen space, with the brush or eraser in use. */
export function drawBrush(ctx: CanvasRenderingContext2D, core: EditorCore, view: View, cursor: Point | null): void {
  if (!cursor || !isMaskTool(core.tool) || core.readonly) return;
  const c = toScreen(view, cursor);
  const r = Math.max(1, (core.brushSize / 2) * view.scale);
  const color = core.tool === 'eraser' ? '#ffffff' : core.colorOf(core.currentLabel);
  for (const [style, w] of [['rgba(0,0,0,0.7)', 3], [color, 1.5]] as const) {
    ctx.strokeStyle = style;
    ctx.lineWidth = w;
    ctx.beginPath();
    ctx.arc(c.x, c.y, r, 0, Math.PI * 2);
    ctx.stroke();
  }
}
