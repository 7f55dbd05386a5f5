/**
 * Labels drawn over the project grid's thumbnails ("Labels" in the grid's toolbar): where an image's pixels land
 * on its thumbnail, what to draw for each shape, which items' shapes to fetch, and the remembered setting. Pure
 * (no DOM, no requests), so tested without a browser; gridShapes.svelte.ts fetches and caches.
 */
import type { Schemas } from "./api/client";
import type { LabelClass } from "./labels";

export type ThumbShape = Schemas["ShapePublic"];
export type ItemShapes = Schemas["ItemShapesPublic"];

/** Where an image of `imgW` x `imgH` pixels shows in a box of `boxW` x `boxH` CSS pixels under `object-fit:
 * contain` (the thumbnail's <img>): scaled to fit whole, centred; `scale` is CSS pixels per image pixel. */
export interface Fit {
  left: number;
  top: number;
  width: number;
  height: number;
  scale: number;
}

export function fitContain(imgW: number, imgH: number, boxW: number, boxH: number): Fit | null {
  if (!(imgW > 0 && imgH > 0 && boxW > 0 && boxH > 0)) return null;
  const scale = Math.min(boxW / imgW, boxH / imgH);
  const width = imgW * scale;
  const height = imgH * scale;
  return { left: (boxW - width) / 2, top: (boxH - height) / 2, width, height, scale };
}

/** An image pixel's place in the thumbnail's box (CSS pixels from its top-left corner). */
export function toThumb(x: number, y: number, fit: Fit): [number, number] {
  return [fit.left + x * fit.scale, fit.top + y * fit.scale];
}

/** A flat `[x, y, x, y, ...]` list as SVG's `points` attribute. */
export function svgPoints(flat: readonly number[]): string {
  const out: string[] = [];
  for (let i = 0; i + 1 < flat.length; i += 2) out.push(`${flat[i]},${flat[i + 1]}`);
  return out.join(" ");
}

/** The visible keypoints (`v > 0`) of an `x, y, v` list, with their index. */
export function visibleKeypoints(flat: readonly number[]): { i: number; x: number; y: number }[] {
  const out: { i: number; x: number; y: number }[] = [];
  for (let i = 0; i * 3 + 2 < flat.length; i++) {
    if ((flat[i * 3 + 2] ?? 0) > 0) out.push({ i, x: flat[i * 3] ?? 0, y: flat[i * 3 + 1] ?? 0 });
  }
  return out;
}

/** The skeleton's edges whose two ends are both visible, as line segments in image pixels. */
export function skeletonLines(flat: readonly number[], skeleton: readonly [number, number][] | undefined): [number, number, number, number][] {
  if (!skeleton?.length) return [];
  const seen = new Map(visibleKeypoints(flat).map((p) => [p.i, p]));
  const out: [number, number, number, number][] = [];
  for (const [a, b] of skeleton) {
    const p = seen.get(a);
    const q = seen.get(b);
    if (p && q) out.push([p.x, p.y, q.x, q.y]);
  }
  return out;
}

/** Each class's colour and skeleton by name; a label the schema does not know is drawn grey. */
export interface ClassLook {
  color: (label: string | null) => string;
  skeleton: (label: string | null) => [number, number][] | undefined;
}

export const UNKNOWN_COLOR = "#9aa1ad";

export function classLook(classes: readonly LabelClass[]): ClassLook {
  const byName = new Map(classes.map((c) => [c.name, c]));
  return {
    color: (label) => (label !== null ? byName.get(label)?.color : undefined) ?? UNKNOWN_COLOR,
    skeleton: (label) => (label !== null ? byName.get(label)?.skeleton : undefined),
  };
}

/** The ids among `wanted` to ask for (not known, not on the way), in requests of at most `max` (the API's cap). */
export function idsToFetch(wanted: readonly number[], known: { has(id: number): boolean }, pending: ReadonlySet<number>, max = 100): number[][] {
  const missing = [...new Set(wanted)].filter((id) => !known.has(id) && !pending.has(id));
  const out: number[][] = [];
  for (let i = 0; i < missing.length; i += max) out.push(missing.slice(i, i + max));
  return out;
}

/** Where "Labels" is remembered (on or off), per browser, like the other grid settings. */
export const LABELS_SETTING = "labelhub.grid.labels";

export function readLabelsSetting(store: Pick<Storage, "getItem"> | undefined): boolean {
  try {
    return store?.getItem(LABELS_SETTING) === "on";
  } catch {
    return false; // storage refused (private mode, a sandbox): off
  }
}

export function writeLabelsSetting(store: Pick<Storage, "setItem"> | undefined, on: boolean): void {
  try {
    store?.setItem(LABELS_SETTING, on ? "on" : "off");
  } catch {
    // not remembered; the toggle still works for this page
  }
}
