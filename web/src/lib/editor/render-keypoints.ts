/**
 * Drawing keypoints instances, in screen space over the other shapes: edges of the class's skeleton as lines,
 * points as small circles in the class colour (visible filled, occluded hollow, not labelled not drawn but
 * for the picked one: a dashed ring), the
 * names of the selected instance's points and of the point under the pointer, and the instance being placed
 * with the name of the point to click next beside the pointer.
 */

import type { EditorCore } from './core';
import type { KeypointOverlay } from './keypoint-tool';
import { drawnEdges, pointAt, pointCount, pointName, skeletonOf, type Skeleton } from './keypoints';
import { isProposal } from './proposals';
import type { Ann, Point } from './types';
import type { View } from './viewport';

const R = 4;
const R_SELECTED = 5.5;

function screen(view: View, p: Point): Point {
  return { x: p.x * view.scale + view.tx, y: p.y * view.scale + view.ty };
}

function tag(ctx: CanvasRenderingContext2D, text: string, at: Point): void {
  const w = ctx.measureText(text).width + 8;
  ctx.fillStyle = 'rgb(0 0 0 / 70%)';
  ctx.fillRect(at.x + 7, at.y - 17, w, 15);
  ctx.fillStyle = '#fff';
  ctx.fillText(text, at.x + 11, at.y - 9.5);
}

/** The picked point after O made it not labelled: a dashed ring where it was, so O can bring it back. */
function ghost(ctx: CanvasRenderingContext2D, view: View, points: readonly number[], i: number, r: number, name: string): void {
  const x = points[3 * i], y = points[3 * i + 1];
  if (x === undefined || y === undefined) return;
  const s = screen(view, { x, y });
  ctx.beginPath();
  ctx.arc(s.x, s.y, r + 3.5, 0, Math.PI * 2);
  ctx.strokeStyle = '#fff';
  ctx.lineWidth = 2;
  ctx.setLineDash([3, 3]);
  ctx.stroke();
  ctx.setLineDash([]);
  tag(ctx, `${name} (not labelled)`, s);
}

function drawInstance(
  ctx: CanvasRenderingContext2D,
  view: View,
  points: readonly number[],
  sk: Skeleton,
  color: string,
  o: { selected: boolean; dashed: boolean; faded: boolean; picked: number | null; hover: number | null },
): void {
  ctx.globalAlpha = o.faded ? 0.45 : 1;
  ctx.strokeStyle = color;
  ctx.lineWidth = o.selected ? 2.5 : 1.5;
  if (o.dashed) ctx.setLineDash([5, 4]);
  ctx.beginPath();
  for (const [a, b] of drawnEdges(points, sk)) {
    const p = screen(view, a), q = screen(view, b);
    ctx.moveTo(p.x, p.y);
    ctx.lineTo(q.x, q.y);
  }
  ctx.stroke();
  ctx.setLineDash([]);
  for (let i = 0; i < pointCount(points); i++) {
    const pt = pointAt(points, i);
    if (!pt) {
      if (i === o.picked) ghost(ctx, view, points, i, o.selected ? R_SELECTED : R, pointName(sk, i));
      continue;
    }
    const s = screen(view, pt);
    const r = o.selected ? R_SELECTED : R;
    ctx.beginPath();
    ctx.arc(s.x, s.y, r, 0, Math.PI * 2);
    if (pt.v === 2) {
      ctx.fillStyle = color;
      ctx.fill();
      ctx.strokeStyle = '#15171c';
      ctx.lineWidth = 1;
      ctx.stroke();
    } else {
      ctx.strokeStyle = color;
      ctx.lineWidth = 2;
      ctx.stroke();
    }
    if (i === o.picked) {
      ctx.beginPath();
      ctx.arc(s.x, s.y, r + 3.5, 0, Math.PI * 2);
      ctx.strokeStyle = '#fff';
      ctx.lineWidth = 2;
      ctx.stroke();
    }
    if (o.selected || i === o.hover) tag(ctx, pointName(sk, i) + (pt.v === 1 ? ' (occluded)' : ''), s);
  }
  ctx.globalAlpha = 1;
}

/** Draws every shown keypoints instance, and the one being placed. The context is in screen space. */
export function drawKeypoints(ctx: CanvasRenderingContext2D, core: EditorCore, view: View, preview: Ann | null, st: KeypointOverlay | undefined): void {
  for (const stored of core.anns) {
    if (stored.kind !== 'keypoints') continue;
    const a = preview && preview.key === stored.key ? preview : stored;
    if (!core.visible(a)) continue;
    const selected = core.selectedKeys.has(a.key);
    drawInstance(ctx, view, a.geometry.points ?? [], skeletonOf(core.classes, a.label), core.colorOf(a.label), {
      selected,
      dashed: isProposal(a),
      faded: a.state === 'rejected',
      picked: st?.selected?.key === a.key ? st.selected.index : null,
      hover: st?.hover?.key === a.key ? st.hover.index : null,
    });
  }
  const pl = st?.placement;
  if (!pl) return;
  const color = core.colorOf(pl.label);
  drawInstance(ctx, view, pl.points, pl.sk, color, { selected: true, dashed: false, faded: false, picked: null, hover: null });
  if (st.cursor && !pl.done) tag(ctx, `next: ${pointName(pl.sk, pl.next)}`, screen(view, st.cursor));
}
