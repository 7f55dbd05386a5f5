/**
 * Drawing one frame on a 2D canvas: the image, then the annotations inside the visible part of it (culled with
 * the spatial index and batched into one path per colour and style, so 1,000 boxes cost a few dozen canvas
 * calls), then the selection (the rest of a multiple selection outlined, the primary with its handles), the shape
 * being drawn or the rubber band, and the crosshair.
 *
 * The pieces are in `render-image.ts` (the image and its scaled copies), `render-shapes.ts` (the shapes, batched
 * by colour and style) and `render-overlay.ts` (labels, the selection with its handles, the shape being drawn).
 */

import type { EditorCore } from './core';
import { isProposal } from './proposals';
import { drawBrush, drawMasks } from './render-masks';
import { drawImageScaled, type ImageSource } from './render-image';
import { drawKeypoints } from './render-keypoints';
import { drawDrafts, drawLabel, drawSelected, drawSelectedOutlines, LABEL_FONT, type Overlay } from './render-overlay';
import { drawShapes, type Group, tracePath } from './render-shapes';
import type { Ann } from './types';
import { type View, visibleRect } from './viewport';

export { buildLevels, FILTER_SETTLE_MS, type ImageSource } from './render-image';
export { labelText, readableOn, type Overlay } from './render-overlay';

export interface Surface {
  ctx: CanvasRenderingContext2D;
  /** CSS pixels. */
  width: number;
  height: number;
  dpr: number;
}

const BG = '#15171c';
/** Above this many visible shapes only the selected and hovered shapes get a text label. */
const LABELS_MAX = 300;
/** Above this many visible shapes, shapes are outlines only (clearer when dense, and cheaper to rasterise). */
const FILL_MAX = 300;

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
  // The rest of a selection of several: outlined as selected, without handles (a Set: one lookup per shape).
  const selKeys = core.selectedKeys;
  const others: Ann[] = [];
  const preview = overlay.preview;
  let selected: Ann | null = null;
  let hovered: Ann | null = null;
  const shown: Ann[] = [];
  const masks: Ann[] = [];
  for (const e of entries) {
    let a = e.value;
    if (preview && a.key === preview.key) a = preview;
    if (!core.visible(a)) continue;
    if (a.kind === 'mask') masks.push(a);
    if (a.key === selKey) {
      selected = a;
      continue;
    }
    if (a.key === overlay.hoverKey) hovered = a;
    if (selKeys.size > 1 && selKeys.has(a.key)) others.push(a);
    shown.push(a);
    if (a.kind === 'mask') continue; // drawn by drawMasks, under the boxes and polygons
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

  drawMasks(ctx, core, masks, (key) => selKeys.has(key) || key === overlay.hoverKey, overlay.stroke, k);
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

  if (others.length > 0) drawSelectedOutlines(ctx, core, view, others, dpr, shown.length <= FILL_MAX);
  if (selected) drawSelected(ctx, core, view, selected, dpr);
  drawKeypoints(ctx, core, view, preview, overlay.keypoints);
  drawDrafts(ctx, core, view, overlay, width, height);
  drawBrush(ctx, core, view, overlay.cursor);
  return shown.length + (selected ? 1 : 0);
}
