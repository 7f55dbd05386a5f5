/**
 * Reading the browser's text selection as offsets into the text. The text body holds only the text (marks are
 * elements around it; label and score tags are CSS, not text), so the characters before a point are the length
 * of a DOM Range from the body's start to it, in UTF-16 units.
 */

/** The unit offset of a DOM boundary point inside `body`; points outside clamp to the start or the end. */
export function pointOffset(body: HTMLElement, node: Node, offset: number, total: number): number {
  if (!body.contains(node)) {
    return body.compareDocumentPosition(node) & Node.DOCUMENT_POSITION_PRECEDING ? 0 : total;
  }
  const r = document.createRange();
  r.setStart(body, 0);
  r.setEnd(node, offset);
  return r.toString().length;
}

export interface DomSelection {
  /** Unit offsets, in document order. */
  a: number;
  b: number;
  /** Where it is on screen (for the label menu). */
  rect: DOMRect;
}

/** The current selection when it touches `body` and is not empty. */
export function readSelection(body: HTMLElement, total: number): DomSelection | null {
  const sel = window.getSelection();
  if (!sel || sel.rangeCount === 0 || sel.isCollapsed) return null;
  const range = sel.getRangeAt(0);
  if (!range.intersectsNode(body)) return null;
  const a = pointOffset(body, range.startContainer, range.startOffset, total);
  const b = pointOffset(body, range.endContainer, range.endOffset, total);
  if (a === b) return null;
  const rects = range.getClientRects();
  const last = rects.length > 0 ? rects[rects.length - 1] : undefined;
  return { a, b, rect: last ?? range.getBoundingClientRect() };
}

/** Span keys under a click, innermost first (a click inside nested marks names all of them). */
export function keysAt(target: EventTarget | null, body: HTMLElement): string[] {
  const out: string[] = [];
  let el = target instanceof Element ? target.closest('[data-key]') : null;
  while (el && body.contains(el)) {
    const k = el.getAttribute('data-key');
    if (k) out.push(k);
    el = el.parentElement?.closest('[data-key]') ?? null;
  }
  return out;
}

export function clearSelection(): void {
  window.getSelection()?.removeAllRanges();
}
