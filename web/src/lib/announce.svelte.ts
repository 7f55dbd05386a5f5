/**
 * A polite live region for what a screen reader should hear after something happened out of sight (another item
 * opened). `App.svelte` renders it (visually hidden) on every page, so that it exists before its text changes.
 */

export const announcer = $state({ text: '' });

let flip = false;

/** Say `text` (once more if it is the same as last time: a no-break space tells the two apart). */
export function announce(text: string): void {
  flip = !flip;
  announcer.text = flip ? text : `${text}\u00a0`;
}

/** "demo_032.jpg, item 2 of 32" (the position as `positionText` gives it, "" when not known). */
export function itemAnnouncement(name: string, position: string): string {
  return position ? `${name}, item ${position.replace(' / ', ' of ')}` : name;
}

/** In a component's set-up: say `text()` once, the first time it gives something (null: not yet). */
export function announceOnce(text: () => string | null): void {
  let said = false;
  $effect(() => {
    const t = said ? null : text();
    if (t === null) return;
    said = true;
    announce(t);
  });
}
