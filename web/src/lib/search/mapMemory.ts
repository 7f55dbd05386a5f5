// The embedding map's zoom and pan, kept in the tab's sessionStorage per project and space, so that opening an
// item from the map and going Back (or reloading) shows the map where it was. A view belongs to one layout of
// the map: a recomputed map (another `computed_at`) starts fitted again.

import type { PlaceStore } from "../gridMemory";
import type { KeptView } from "./view";

interface Stored extends KeptView {
  computedAt: string;
}

const PREFIX = "labelhub.map:";

function store(): PlaceStore | null {
  try {
    return typeof sessionStorage === "undefined" ? null : sessionStorage;
  } catch {
    return null;
  }
}

function key(projectId: number, space: string): string {
  return `${PREFIX}${projectId}:${space}`;
}

/** The view kept for a map, or null (none, another layout, or unreadable). */
export function recallMapView(projectId: number, space: string, computedAt: string, s = store()): KeptView | null {
  try {
    const raw = s?.getItem(key(projectId, space));
    const v = raw ? (JSON.parse(raw) as Partial<Stored>) : null;
    if (!v || v.computedAt !== computedAt) return null;
    const { zoom, cx, cy } = v;
    return [zoom, cx, cy].every((n) => typeof n === "number" && Number.isFinite(n)) ? { zoom: zoom!, cx: cx!, cy: cy! } : null;
  } catch {
    return null;
  }
}

/** Keeps a map's view; null forgets it (the map is fitted again). */
export function keepMapView(projectId: number, space: string, computedAt: string, v: KeptView | null, s = store()): void {
  try {
    if (v === null) s?.removeItem(key(projectId, space));
    else s?.setItem(key(projectId, space), JSON.stringify({ ...v, computedAt } satisfies Stored));
  } catch {
    // storage full or denied: the view lasts until the page is left
  }
}
