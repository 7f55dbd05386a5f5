/** The shapes in a frame: visible annotations batched by colour and style (solid, proposal, rejected). */

import type { Ann } from './types';

export interface Group {
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

export function drawShapes(ctx: CanvasRenderingContext2D, groups: Map<string, Group>, k: number, dpr: number, fill: boolean): void {
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

export function fillShape(ctx: CanvasRenderingContext2D, a: Ann): void {
  const b = a.geometry.bbox;
  if (a.kind !== 'polygon' && b && b.length === 4) {
    ctx.fillRect(b[0]!, b[1]!, b[2]! - b[0]!, b[3]! - b[1]!);
    return;
  }
  ctx.beginPath();
  tracePath(ctx, a);
  ctx.fill();
}

export function strokeShape(ctx: CanvasRenderingContext2D, a: Ann): void {
  const b = a.geometry.bbox;
  if (a.kind !== 'polygon' && b && b.length === 4) {
    ctx.strokeRect(b[0]!, b[1]!, b[2]! - b[0]!, b[3]! - b[1]!);
    return;
  }
  ctx.beginPath();
  tracePath(ctx, a);
  ctx.stroke();
}

export function tracePath(ctx: CanvasRenderingContext2D, a: Ann): void {
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
