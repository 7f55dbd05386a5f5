/** The image in a frame: its 1/2, 1/4, ... copies, a copy at the exact scale, and drawing it sharp or smooth. */

export interface ImageSource {
  image: CanvasImageSource | null;
  /** `none`: the item has no stored media (nothing is loaded). */
  state: 'loading' | 'ready' | 'error' | 'none';
  /** Copies of the image at 1/2, 1/4, ... (built once it loads), for cheap zoomed-out draws. */
  levels?: { scale: number; canvas: HTMLCanvasElement }[];
  /** A copy at exactly the current device scale, built once the scale holds still (panning is then a blit). */
  exact?: { scale: number; canvas: HTMLCanvasElement } | null;
  /** The device scale of the previous frame. */
  lastScale?: number;
}

/** The largest exact-scale copy of the image kept (device pixels). */
const EXACT_MAX_PIXELS = 8_000_000;

function scaledCopy(src: CanvasImageSource, w: number, h: number): HTMLCanvasElement {
  const c = document.createElement('canvas');
  c.width = Math.max(1, Math.round(w));
  c.height = Math.max(1, Math.round(h));
  const g = c.getContext('2d');
  if (g) {
    g.imageSmoothingQuality = 'high';
    g.drawImage(src, 0, 0, c.width, c.height);
  }
  return c;
}

/** Build the 1/2, 1/4, ... copies of a freshly loaded image (down to about 256 px). */
export function buildLevels(img: ImageSource, width: number, height: number): void {
  if (!img.image) return;
  const levels: { scale: number; canvas: HTMLCanvasElement }[] = [];
  let src: CanvasImageSource = img.image;
  for (let s = 0.5; Math.max(width, height) * s >= 256; s /= 2) {
    const c = scaledCopy(src, width * s, height * s);
    levels.push({ scale: s, canvas: c });
    src = c;
  }
  img.levels = levels;
  img.exact = null;
}

/**
 * Draw the image under the current transform (image coordinates), `ds` being device pixels per image pixel.
 * Zoomed in, pixels are drawn sharp (no smoothing: annotators want to see them, and it is cheaper). Zoomed
 * out, a copy at exactly this scale is made once the scale holds still for a frame, so a pan only blits it;
 * while the scale changes, the nearest larger 1/2^n copy is used.
 */
export function drawImageScaled(ctx: CanvasRenderingContext2D, img: ImageSource, W: number, H: number, ds: number): void {
  const image = img.image!;
  const steady = img.lastScale === ds;
  img.lastScale = ds;
  if (ds >= 1) {
    ctx.imageSmoothingEnabled = ds < 1.5;
    ctx.drawImage(image, 0, 0, W, H);
    ctx.imageSmoothingEnabled = true;
    return;
  }
  let exact = img.exact;
  if ((!exact || exact.scale !== ds) && steady && W * H * ds * ds <= EXACT_MAX_PIXELS) {
    let src: CanvasImageSource = image;
    for (const l of img.levels ?? []) if (l.scale >= ds) src = l.canvas;
    exact = { scale: ds, canvas: scaledCopy(src, W * ds, H * ds) };
    img.exact = exact;
  }
  if (exact && exact.scale === ds) {
    ctx.drawImage(exact.canvas, 0, 0, W, H);
    return;
  }
  let src: CanvasImageSource = image;
  for (const l of img.levels ?? []) if (l.scale >= ds) src = l.canvas;
  ctx.drawImage(src, 0, 0, W, H);
}
