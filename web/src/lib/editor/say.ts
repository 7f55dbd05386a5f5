/**
 * What a screen reader hears about the image editor's side panel and the arrow keys on a selected shape (the
 * polygon placed by keyboard says its own, `polygonKeys.ts`). Pure, so tested without a browser.
 */

import { count } from '../plural';
import type { Rect } from './types';

/** A label row's accessible name: "bowl, 26 shapes, key 1" (the visible row runs "bowl 26 1" together). */
export function labelRowName(name: string, n: number, hotkey: string | null, unit = 'shape'): string {
  return `${name}, ${count(n, unit)}${hotkey ? `, key ${hotkey}` : ''}`;
}

/** Said when a label is chosen in the list: the selected shape took it, or new shapes will get it. With a number,
 * that many selected shapes took it ("3 shapes relabelled car"). */
export function labelChosen(name: string, relabelled: boolean | number): string {
  if (typeof relabelled === 'number' && relabelled > 1) return `${count(relabelled, 'shape')} relabelled ${name}`;
  return relabelled ? `Selection relabelled ${name}` : `New shapes get ${name}`;
}

/** A selection of several in words, from its counts per label (`selectionCounts`): "3 shapes selected: car 2,
 * dog 1"; one shape: "car selected"; none: "Nothing selected". */
export function selectionSaid(byLabel: readonly (readonly [string, number])[]): string {
  const total = byLabel.reduce((n, [, c]) => n + c, 0);
  if (total === 0) return 'Nothing selected';
  if (total === 1) return `${byLabel[0]![0]} selected`;
  return `${count(total, 'shape')} selected: ${byLabel.map(([name, c]) => `${name} ${c}`).join(', ')}`;
}

/** Said after Delete: "3 shapes deleted", "Box deleted". */
export function deletedSaid(n: number, kind: string): string {
  return n === 1 ? `${kind.charAt(0).toUpperCase()}${kind.slice(1)} deleted` : `${count(n, 'shape')} deleted`;
}

/** Said when an attribute is set on the selection (`target`: "car", "3 shapes"): "colour blue on car", "occluded
 * checked on car", "colour cleared on car". */
export function attributeSaid(name: string, value: string | number | boolean | null, target: string): string {
  const words = value === null ? 'cleared' : value === true ? 'checked' : value === false ? 'unchecked' : String(value);
  return `${name} ${words} on ${target}`;
}

/** Said once the arrow keys settle on a shape: where its top-left corner is, or (`resize`) its size. */
export function nudgeSaid(r: Rect, resize: boolean): string {
  const w = Math.round(r.x2 - r.x1), h = Math.round(r.y2 - r.y1);
  return resize ? `Resized to ${w} × ${h}` : `Moved to ${Math.round(r.x1)}, ${Math.round(r.y1)}`;
}

/** How long (ms) the arrow keys must rest before the shape's place is said: a held key says it once. */
export const SETTLE_MS = 500;

/**
 * A call of `fn` put off until `push` has not been called for `ms`, with the last value pushed (a held arrow key
 * queues one announcement, not dozens). `cancel` drops a pending call (the editor going away).
 */
export function settled<T>(fn: (v: T) => void, ms: number): { push(v: T): void; cancel(): void } {
  let handle: ReturnType<typeof setTimeout> | null = null;
  const cancel = (): void => {
    if (handle !== null) clearTimeout(handle);
    handle = null;
  };
  return {
    push(v: T): void {
      cancel();
      handle = setTimeout(() => {
        handle = null;
        fn(v);
      }, ms);
    },
    cancel,
  };
}
