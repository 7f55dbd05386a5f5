/**
 * The image in a frame: its 1/2, 1/4, ... copies, a copy at the exact scale, and drawing it sharp or smooth; with
 * the image adjustments (`adjust.ts`) on, the same copies made once through their filter.
 */

interface Level {
  scale: number;
  canvas: HTMLCanvasElement;
}

export interface ImageSource {
  image: CanvasImageSource | null;
  /** `none`: the item has no stored media (nothing is loaded). */
  state: 'loading' | 'ready' | 'error' | 'none';
  /** Copies of the image at 1/2, 1/4, ... (built once it loads), for cheap zoomed-out draws. */
  levels?: Level[];
  /** A copy at exactly the current device scale, built once the scale holds still (panning is then a blit), with
   * the filter it was drawn through (`none`: as the image is). */
  exact?: { scale: number; filter: string; canvas: HTMLCanvasElement } | null;
  /** The device scale of the previous frame. */
  lastScale?: number;
  /** The canvas filter for the picture (the image adjustments); unset or `none`: drawn as it is. */
  filter?: string;
  /** The image and its 1/2, 1/4, ... copies drawn through `filter` once, so a frame draws no filter. */
  filtered?: { filter: string; image: HTMLCanvasElement; levels: Level[] } | null;
  /** False while the filter changes (a slider being dragged): it is applied as the image is drawn, and the
   * filtered copies are made once it holds still (the view sets it back). */
  bake?: boolean;
}

/** How long the filter must hold still before its copies are made (milliseconds). */
export const FILTER_SETTLE_MS = 250;

/** The largest exact-scale copy of the image kept (device pixels); also the largest image copied through a filter
 * (a larger one is filtered as it is drawn). */
const EXACT_MAX_PIXELS = 8_000_000;

function scaledCopy(src: CanvasImageSource, w: number, h: number, filter = 'none'): HTMLCanvasElement {
  const c = document.createElement('canvas');
  c.width = Math.max(1, Math.round(w));
  c.height = Math.max(1, Math.round(h));
  const g = c.getContext('2d');
  if (g) {
    g.imageSmoothingQuality = 'high';
    if (filter !== 'none') g.filter = filter;
    g.drawImage(src, 0, 0, c.width, c.height);
  }
  return c;
}

/** The 1/2, 1/4, ... copies of `src` (down to about 256 px). */
function halvings(src: CanvasImageSource, width: number, height: number): Level[] {
  const levels: Level[] = [];
  for (let s = 0.5; Math.max(width, height) * s >= 256; s /= 2) {
    const c = scaledCopy(src, width * s, height * s);
    levels.push({ scale: s, canvas: c });
    src = c;
  }
  return levels;
}

/** Build the 1/2, 1/4, ... copies of a freshly loaded image. */
export function buildLevels(img: ImageSource, width: number, height: number): void {
  if (!img.image) return;
  img.levels = halvings(img.image, width, height);
  img.exact = null;
  img.filtered = null;
}

/**
 * Draw the image under the current transform (image coordinates), `ds` being device pixels per image pixel, with
 * the image's `filter` (the adjustments) if it has one: for the picture only, never the shapes drawn after it.
 * Once a filter holds still (`bake`), the image and its copies are drawn through it once (about 35 ms for
 * 1920x1080 in software raster), so panning and zooming then cost what they cost without it; while it changes, or
 * for an image over `EXACT_MAX_PIXELS`, the filter is applied as the image is drawn (about 10 ms a frame there).
 */
export function drawImageScaled(ctx: CanvasRenderingContext2D, img: ImageSource, W: number, H: number, ds: number): void {
  const filter = img.filter ?? 'none';
  if (filter === 'none') {
    img.filtered = null; // the filtered copies are not needed any more
    return drawCopy(ctx, img, img.image!, img.levels, 'none', W, H, ds);
  }
  let f = img.filtered;
  if (f?.filter !== filter && img.bake !== false && W * H <= EXACT_MAX_PIXELS) {
    const image = scaledCopy(img.image!, W, H, filter);
    f = img.filtered = { filter, image, levels: halvings(image, W, H) };
  }
  if (f?.filter === filter) return drawCopy(ctx, img, f.image, f.levels, filter, W, H, ds);
  ctx.filter = filter;
  drawCopy(ctx, img, img.image!, img.levels, 'none', W, H, ds);
  ctx.filter = 'none';
}

/**
 * Draw `image` (or the copy in `levels`, or the exact-scale copy, nearest its scale); `baked` is the filter they
 * were drawn through, which the exact copy must match. Zoomed in, pixels are drawn sharp (no smoothing: annotators
 * want to see them, and it is cheaper). Zoomed out, a copy at exactly this scale is made once the scale holds
 * still for a frame, so a pan only blits it; while the scale changes, the nearest larger 1/2^n copy is used.
 */
function drawCopy(
  ctx: CanvasRenderingContext2D,
  img: ImageSource,
  image: CanvasImageSource,
  levels: Level[] | undefined,
  baked: string,
  W: number,
  H: number,
  ds: number,
): void {
  const steady = img.lastScale === ds;
  img.lastScale = ds;
  if (ds >= 1) {
    ctx.imageSmoothingEnabled = ds < 1.5;
    ctx.drawImage(image, 0, 0, W, H);
    ctx.imageSmoothingEnabled = true;
    return;
  }
  let src: CanvasImageSource = image;
  for (const l of levels ?? []) if (l.scale >= ds) src = l.canvas;
  let exact = img.exact;
  const fits = exact && exact.scale === ds && exact.filter === baked;
  if (!fits && steady && W * H * ds * ds <= EXACT_MAX_PIXELS) {
    exact = { scale: ds, filter: baked, canvas: scaledCopy(src, W * ds, H * ds) };
    img.exact = exact;
  }
  if (exact && exact.scale === ds && exact.filter === baked) src = exact.canvas;
  ctx.drawImage(src, 0, 0, W, H);
}
