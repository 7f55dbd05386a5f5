/** DOM plumbing both canvas editors (image and video) share: sizing a canvas to its box, and listeners that
 *  remember how to remove themselves. */

export interface CanvasSize {
  width: number;
  height: number;
  dpr: number;
}

/** Size ``canvas`` to its parent's box at the device pixel ratio (at most 3); null when nothing changed. */
export function fitCanvas(canvas: HTMLCanvasElement, prev: CanvasSize): CanvasSize | null {
  const box = (canvas.parentElement ?? canvas).getBoundingClientRect();
  const width = Math.max(1, Math.floor(box.width));
  const height = Math.max(1, Math.floor(box.height));
  const dpr = Math.max(1, Math.min(3, window.devicePixelRatio || 1));
  if (width === prev.width && height === prev.height && dpr === prev.dpr) return null;
  canvas.width = Math.round(width * dpr);
  canvas.height = Math.round(height * dpr);
  canvas.style.width = `${width}px`;
  canvas.style.height = `${height}px`;
  return { width, height, dpr };
}

type Listen = <K extends keyof HTMLElementEventMap>(
  type: K,
  fn: (e: HTMLElementEventMap[K]) => void,
  opts?: AddEventListenerOptions,
) => void;

/** Returns an ``addEventListener`` for ``target`` that pushes the matching removal onto ``cleanup``. */
export function listener(target: HTMLElement, cleanup: (() => void)[]): Listen {
  return (type, fn, opts) => {
    target.addEventListener(type, fn as EventListener, opts);
    cleanup.push(() => target.removeEventListener(type, fn as EventListener, opts));
  };
}

/** Capture the pointer of ``e`` on ``target`` so a drag follows it outside; synthetic events have none. */
export function capturePointer(target: Element, e: PointerEvent): void {
  try {
    target.setPointerCapture(e.pointerId);
  } catch {
    // Synthetic events (tests) have no active pointer to capture.
  }
}
