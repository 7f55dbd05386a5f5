/**
 * The orthogonal views beside the axial slice (docs/api.md, "Volumes"): the sagittal plane through the shown
 * column under the pointer and the coronal plane through its row, superior at the top. Sagittal: `slices` rows by
 * `height` columns, anterior on the left, so its column j is the axial row j; coronal: `slices` rows by `width`
 * columns, the patient's right on the left, so its column j is the axial column j. In both, row i is the axial
 * slice `slices - 1 - i`.
 *
 * Hand-written: the index mapping is labelhub's display convention; the label tint is one pass over the plane's
 * RGBA words, as `window.ts` draws the grey.
 */

import { API } from '../api/client';
import type { HelpEntry } from '../editor/keys';
import { ApiError, toProblem } from '../api/problem';
import { decodeSlice, isSliceDtype, type SliceData } from './slice';

export type Axis = 'sagittal' | 'coronal';
export const AXES: readonly Axis[] = ['sagittal', 'coronal'];

/** What the planes need of the volume (GET .../volume). */
export interface VolumeShape {
  width: number;
  height: number;
  slices: number;
  /** Millimetres along the axial columns, rows and slices. */
  spacing: [number, number, number];
}

/** An axial pixel: the column and the row of the shown slice. */
export interface Cell {
  column: number;
  row: number;
}

/** The plane through the axial pixel `at` along `axis`: the column for sagittal, the row for coronal. */
export function planeIndex(axis: Axis, at: Cell): number {
  return axis === 'sagittal' ? at.column : at.row;
}

/** A plane's size in voxels (columns x rows). */
export function planeSize(axis: Axis, v: VolumeShape): { width: number; height: number } {
  return { width: axis === 'sagittal' ? v.height : v.width, height: v.slices };
}

/** Millimetres per plane pixel along its columns and rows (a 2.5 mm CT's slices are taller than its pixels). */
export function planeSpacing(axis: Axis, v: VolumeShape): { column: number; row: number } {
  const [sx, sy, sz] = v.spacing.map((s) => (Number.isFinite(s) && s > 0 ? s : 1)) as [number, number, number];
  return { column: axis === 'sagittal' ? sy : sx, row: sz };
}

/** The CSS size that shows the plane true to its millimetres, as large as fits in `box`. */
export function fitPlane(axis: Axis, v: VolumeShape, box: { width: number; height: number }): { width: number; height: number } {
  const size = planeSize(axis, v);
  const mm = planeSpacing(axis, v);
  const w = size.width * mm.column;
  const h = size.height * mm.row;
  if (w <= 0 || h <= 0) return { width: 0, height: 0 };
  const scale = Math.min(box.width / w, box.height / h);
  return { width: Math.max(1, Math.round(w * scale)), height: Math.max(1, Math.round(h * scale)) };
}

/** The plane row that shows axial slice `k`. */
export function rowOfSlice(k: number, slices: number): number {
  return slices - 1 - k;
}

/** The axial slice a click at `y` CSS pixels from the top of a plane drawn `cssHeight` high lands on. */
export function sliceAt(y: number, cssHeight: number, slices: number): number {
  const row = Math.floor((y / Math.max(cssHeight, 1e-9)) * slices);
  return Math.max(0, Math.min(slices - 1, slices - 1 - row));
}

/** The plane column where the pointer's other coordinate lies: the axial row on sagittal, its column on coronal. */
export function crossColumn(axis: Axis, at: Cell): number {
  return axis === 'sagittal' ? at.row : at.column;
}

/** `#rrggbb` as [r, g, b], grey for anything else. */
export function rgbOf(color: string | null | undefined): [number, number, number] {
  const m = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(color ?? '');
  return m ? [parseInt(m[1]!, 16), parseInt(m[2]!, 16), parseInt(m[3]!, 16)] : [0x9a, 0xa3, 0xaf];
}

/** How much of a class's colour covers the grey under a label. */
export const TINT = 0.45;

/**
 * Tints the RGBA bytes `rgba` (the plane drawn in grey) where `labels` names a class: value v is `colors[v - 1]`
 * (the project's label list, 1-based), 0 is none; values past the list are left grey.
 */
export function tintLabels(rgba: Uint8ClampedArray, labels: Uint8Array | Uint16Array, colors: readonly string[]): void {
  const rgb = colors.map(rgbOf);
  const n = Math.min(labels.length, rgba.length >> 2);
  for (let i = 0; i < n; i++) {
    const v = labels[i]!;
    const c = v > 0 ? rgb[v - 1] : undefined;
    if (!c) continue;
    const o = i * 4;
    rgba[o] = rgba[o]! + (c[0] - rgba[o]!) * TINT;
    rgba[o + 1] = rgba[o + 1]! + (c[1] - rgba[o + 1]!) * TINT;
    rgba[o + 2] = rgba[o + 2]! + (c[2] - rgba[o + 2]!) * TINT;
  }
}

/** A label plane: the 1-based class index per pixel, row-major. */
export interface LabelPlane {
  width: number;
  height: number;
  values: Uint8Array | Uint16Array;
}

/** The label plane in `buf`; throws naming the size expected and got when they differ. */
export function decodeLabels(buf: ArrayBuffer, width: number, height: number, dtype: string | null): LabelPlane {
  if (dtype !== 'uint8' && dtype !== 'uint16') throw new Error(`The server sent labels of type "${dtype ?? 'none'}", not uint8 or uint16`);
  const size = dtype === 'uint8' ? 1 : 2;
  if (buf.byteLength !== width * height * size) {
    throw new Error(`A ${width} × ${height} ${dtype} label plane is ${width * height * size} bytes, the server sent ${buf.byteLength}`);
  }
  if (dtype === 'uint8') return { width, height, values: new Uint8Array(buf) };
  const view = new DataView(buf);
  const values = new Uint16Array(width * height);
  for (let i = 0; i < values.length; i++) values[i] = view.getUint16(i * 2, true);
  return { width, height, values };
}

async function get(url: string, signal?: AbortSignal): Promise<Response> {
  let res: Response;
  try {
    res = await fetch(url, { credentials: 'same-origin', signal });
  } catch (err) {
    if (err instanceof DOMException && err.name === 'AbortError') throw err;
    throw new ApiError(0, { detail: err instanceof Error ? err.message : String(err) });
  }
  if (!res.ok) throw new ApiError(res.status, toProblem(res.status, await res.json().catch(() => undefined)));
  return res;
}

function planeUrl(projectId: number, itemId: number, axis: Axis, index: number): string {
  return `${API}/projects/${projectId}/items/${itemId}/volume/planes/${axis}/${index}`;
}

/** The plane's raw values (GET .../volume/planes/{axis}/{index}; the browser's cache answers a repeat). */
export async function fetchPlane(projectId: number, itemId: number, axis: Axis, index: number, signal?: AbortSignal): Promise<SliceData> {
  const res = await get(planeUrl(projectId, itemId, axis, index), signal);
  const dtype = res.headers.get('X-Slice-Dtype');
  if (!isSliceDtype(dtype)) throw new Error(`The ${axis} plane came as "${dtype ?? 'none'}", not int16 or float32`);
  const w = Number(res.headers.get('X-Slice-Width'));
  const h = Number(res.headers.get('X-Slice-Height'));
  return decodeSlice(await res.arrayBuffer(), w, h, dtype);
}

/** The plane of the item's label map (accepted masks and polygons), as of the item's last save. */
export async function fetchLabels(projectId: number, itemId: number, axis: Axis, index: number, signal?: AbortSignal): Promise<LabelPlane> {
  const res = await get(`${planeUrl(projectId, itemId, axis, index)}/labels`, signal);
  const w = Number(res.headers.get('X-Slice-Width'));
  const h = Number(res.headers.get('X-Slice-Height'));
  return decodeLabels(await res.arrayBuffer(), w, h, res.headers.get('X-Label-Dtype'));
}

/** The key that shows or hides the planes (free in the image editor's keymap and the volume's keys). */
export const PLANES_KEY = 'l';

/** The shortcut sheet's line for it. */
export const PLANES_SHORTCUT: HelpEntry = {
  keys: ['L'],
  description: 'Show or hide the sagittal and coronal planes (click one to go to that slice)',
  group: 'Slices',
};

/** Whether a key press toggles the planes: L without modifiers, unless a class of the project took L as its hotkey. */
export function isPlanesKey(e: { key: string; ctrlKey: boolean; metaKey: boolean; altKey: boolean }, hotkeys: readonly (string | null | undefined)[]): boolean {
  if (e.ctrlKey || e.metaKey || e.altKey || e.key.toLowerCase() !== PLANES_KEY) return false;
  return !hotkeys.some((h) => h?.toLowerCase() === PLANES_KEY);
}
