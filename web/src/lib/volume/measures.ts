/**
 * The volume's structure measurements (GET .../volume/measures, docs/api.md "Volumes"): per class its voxels,
 * volume in mL, slices, centroid and intensities, as the "Structures" panel (Measures.svelte) shows them. Slice
 * numbers are 0-based in the API and 1-based on screen, as the slice counter shows them.
 */

import { api, unwrap } from '../api/client';

export interface Structure {
  label: string;
  voxels: number;
  volume_ml: number;
  first_slice: number;
  last_slice: number;
  slice_count: number;
  centroid: { column: number; row: number; slice: number };
  /** The slice holding the structure nearest to its centroid: where a click on its row goes. */
  center_slice: number;
  intensity: { mean: number; std: number; min: number; max: number };
}

export interface VolumeMeasures {
  item_id: number;
  version: number;
  spacing: number[];
  voxel_ml: number;
  unit: string | null;
  structures: Structure[];
  proposals: Structure[];
}

export async function fetchMeasures(projectId: number, itemId: number): Promise<VolumeMeasures> {
  const path = { project_id: projectId, item_id: itemId };
  return (await unwrap(
    api.GET('/api/v1/projects/{project_id}/items/{item_id}/volume/measures', { params: { path } }),
  )) as VolumeMeasures;
}

/**
 * A volume for people: "1,520 mL" from 100 mL, "12.4 mL" from 1 mL, "0.35 mL" from 0.01 mL, and below that in
 * mm³ ("4.2 mm³"), the unit small lesions are read in; 0 is "0 mL".
 */
export function formatVolume(ml: number): string {
  if (!Number.isFinite(ml) || ml <= 0) return '0 mL';
  if (ml >= 99.95) return `${Math.round(ml).toLocaleString('en-US')} mL`;
  if (ml >= 0.995) return `${trim(ml.toFixed(1))} mL`;
  if (ml >= 0.00995) return `${trim(ml.toFixed(2))} mL`;
  return `${trim((ml * 1000).toFixed(1))} mm³`;
}

/** The slices a structure spans, 1-based: "Slice 4", "Slices 3–17". */
export function formatSlices(s: Pick<Structure, 'first_slice' | 'last_slice'>): string {
  return s.first_slice === s.last_slice ? `Slice ${s.first_slice + 1}` : `Slices ${s.first_slice + 1}–${s.last_slice + 1}`;
}

/** Mean ± standard deviation of its voxels' values, with the unit when known: "42 ± 9.5 HU". */
export function formatIntensity(i: Structure['intensity'], unit: string | null): string {
  return `${round(i.mean)} ± ${round(i.std)}${unit ? ` ${unit}` : ''}`;
}

/** A value to about 3 significant digits: 2 decimals below 10, 1 below 100, none from 100 (trailing zeros cut). */
function round(v: number): string {
  const a = Math.abs(v);
  const digits = a >= 100 ? 0 : a >= 10 ? 1 : 2;
  return trim(v.toFixed(digits));
}

function trim(s: string): string {
  return s.includes('.') ? s.replace(/\.?0+$/, '') : s;
}

/** The slice a click on the structure's row shows: the one holding it nearest its centroid, inside the volume. */
export function jumpSlice(s: Pick<Structure, 'center_slice'>, slices: number): number {
  return Math.max(0, Math.min(slices - 1, s.center_slice));
}
