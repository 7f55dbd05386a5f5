/**
 * Finding a track among many (a street video has 20-50): the filter over the video editor's track list, shown
 * with more than `FILTER_FROM` tracks (`/` focuses it, `Esc` clears it). The text finds a track by its id (`#12`,
 * or `12`, which also finds a class named with 12 in it) or by part of its class name, in any case; commas give
 * several ("#3, #7, bus"). A class menu beside it keeps one class. The selected track stays listed when it does
 * not match (its card holds its keyframes, split and merge), and the count says how many match ("5 of 42 tracks").
 * The filter only narrows the list: the frame, the timeline and Tab still have every track. Pure, tested without a
 * browser.
 */

import { count } from '../plural';
import type { Track } from './types';

/** The filter shows above the track list with more tracks than this. */
export const FILTER_FROM = 8;

export interface TrackFilter {
  /** What was typed ("" for every track). */
  text: string;
  /** One class, or "" for every class. */
  label: string;
}

export const NO_FILTER: Readonly<TrackFilter> = Object.freeze({ text: '', label: '' });

type Named = Pick<Track, 'track_id' | 'label'>;

function matchesTerm(t: Named, term: string): boolean {
  const id = /^#\s*(\d+)$/.exec(term);
  if (id) return Number(id[1]) === t.track_id;
  if (/^\d+$/.test(term) && Number(term) === t.track_id) return true;
  return t.label.toLowerCase().includes(term);
}

/** Whether track `t` matches the typed text (every track for an empty one). */
export function matchesText(t: Named, text: string): boolean {
  const terms = text
    .toLowerCase()
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean);
  return terms.length === 0 || terms.some((term) => matchesTerm(t, term));
}

export function matches(t: Named, f: TrackFilter): boolean {
  return (f.label === '' || t.label === f.label) && matchesText(t, f.text);
}

/** Whether the filter narrows anything. */
export function filtering(f: TrackFilter): boolean {
  return f.text.trim() !== '' || f.label !== '';
}

/** Whether the filter is shown: with many tracks, or while it holds something (so that it can be cleared). */
export function filterShown(total: number, f: TrackFilter): boolean {
  return total > FILTER_FROM || filtering(f);
}

export interface FilteredTracks<T extends Named> {
  /** The tracks to list: those that match, and the selected one. */
  shown: T[];
  /** How many match. */
  matching: number;
  /** The list's count: "42 tracks", or "5 of 42 tracks" while filtering. */
  text: string;
}

/** The track list under filter `f` (inactive when not shown: `filterShown`). */
export function filterTracks<T extends Named>(tracks: readonly T[], f: TrackFilter, selected: number | null): FilteredTracks<T> {
  const all = count(tracks.length, 'track');
  if (!filterShown(tracks.length, f) || !filtering(f)) return { shown: [...tracks], matching: tracks.length, text: all };
  const hit = tracks.filter((t) => matches(t, f));
  const shown = tracks.filter((t) => t.track_id === selected || matches(t, f));
  return { shown, matching: hit.length, text: `${hit.length.toLocaleString('en-US')} of ${all}` };
}

/** The class menu's choices: the classes the tracks have, in the project's order (others after), with counts. */
export function labelChoices(tracks: readonly Named[], classes: readonly string[]): { label: string; count: number }[] {
  const n = new Map<string, number>();
  for (const t of tracks) n.set(t.label, (n.get(t.label) ?? 0) + 1);
  const order = [...classes.filter((c) => n.has(c)), ...[...n.keys()].filter((l) => !classes.includes(l)).sort()];
  return order.map((label) => ({ label, count: n.get(label) ?? 0 }));
}
