// The keyboard of a small drop-down menu (the project header's Team menu, the item page's assignee): Escape closes
// it and gives focus back to its button, the arrow keys move between its items and wrap around.

/** Handle `e` on the menu element `menu`: Escape calls `close(true)`; ArrowDown/ArrowUp focus the next or previous
 * `[role=menuitem]` inside it (from the last to the first and back). Other keys are left alone. */
export function menuKeydown(e: KeyboardEvent, menu: HTMLElement | undefined, close: (back: boolean) => void): void {
  if (e.key === "Escape") {
    e.preventDefault();
    close(true);
    return;
  }
  if (e.key !== "ArrowDown" && e.key !== "ArrowUp") return;
  const items = [...(menu?.querySelectorAll<HTMLElement>("[role=menuitem]") ?? [])];
  if (!items.length) return;
  e.preventDefault();
  items[nextIndex(items.indexOf(document.activeElement as HTMLElement), items.length, e.key === "ArrowDown")]?.focus();
}

/** The index an arrow key moves to from `at` (-1: none focused yet) among `n` items, wrapping around. */
export function nextIndex(at: number, n: number, down: boolean): number {
  return down ? (at + 1) % n : (at - 1 + n) % n;
}
