/**
 * Image adjustments (brightness, contrast, saturation) for both canvas editors, image and video. They change how
 * the picture is drawn, never the shapes over it (the editors set the 2D context's `filter` around the picture's
 * `drawImage` only), and they are display only: never saved with annotations nor sent to the server. They are
 * kept per browser in localStorage under `labelhub.imageAdjust` (one setting for every project and both editors),
 * as JSON percentages; at the defaults the key is removed. Pure functions and a tiny store, tested without a DOM.
 */

export type AdjustName = 'brightness' | 'contrast' | 'saturation';
export type Adjustments = Readonly<Record<AdjustName, number>>;

export interface AdjustRange {
  name: AdjustName;
  label: string;
  /** Percent. */
  min: number;
  max: number;
  /** The CSS filter function. */
  css: string;
}

export const ADJUST_DEFAULTS: Adjustments = { brightness: 100, contrast: 100, saturation: 100 };

export const ADJUST_RANGES: readonly AdjustRange[] = [
  { name: 'brightness', label: 'Brightness', min: 0, max: 300, css: 'brightness' },
  { name: 'contrast', label: 'Contrast', min: 0, max: 300, css: 'contrast' },
  { name: 'saturation', label: 'Saturation', min: 0, max: 300, css: 'saturate' },
];

/** Where the adjustments are kept (localStorage, per browser). */
export const ADJUST_SETTING = 'labelhub.imageAdjust';

/** `v` as a whole percent inside the range of `name`; anything but a finite number gives the default. */
export function clampAdjust(name: AdjustName, v: unknown): number {
  const r = ADJUST_RANGES.find((x) => x.name === name)!;
  if (typeof v !== 'number' || !Number.isFinite(v)) return ADJUST_DEFAULTS[name];
  return Math.min(r.max, Math.max(r.min, Math.round(v)));
}

/** Every value clamped (`clampAdjust`); a missing or bad one is its default, and so is everything when `raw` is
 * not an object. */
export function normalizeAdjust(raw: unknown): Adjustments {
  const o = raw !== null && typeof raw === 'object' && !Array.isArray(raw) ? (raw as Record<string, unknown>) : {};
  return {
    brightness: clampAdjust('brightness', o.brightness),
    contrast: clampAdjust('contrast', o.contrast),
    saturation: clampAdjust('saturation', o.saturation),
  };
}

export function isDefaultAdjust(a: Adjustments): boolean {
  return ADJUST_RANGES.every((r) => a[r.name] === ADJUST_DEFAULTS[r.name]);
}

export function sameAdjust(a: Adjustments, b: Adjustments): boolean {
  return ADJUST_RANGES.every((r) => a[r.name] === b[r.name]);
}

/** The canvas `filter` for `a`: `none` at the defaults, else the changed functions in a fixed order
 * (`brightness(150%) saturate(50%)`). */
export function adjustFilter(a: Adjustments): string {
  const parts = ADJUST_RANGES.filter((r) => a[r.name] !== ADJUST_DEFAULTS[r.name]).map((r) => `${r.css}(${a[r.name]}%)`);
  return parts.length ? parts.join(' ') : 'none';
}

type Store = Pick<Storage, 'getItem' | 'setItem' | 'removeItem'>;

/** The stored adjustments; the defaults when there are none, storage is refused or what is stored is not JSON. */
export function readAdjust(store: Pick<Storage, 'getItem'> | undefined): Adjustments {
  try {
    const text = store?.getItem(ADJUST_SETTING);
    return text ? normalizeAdjust(JSON.parse(text)) : ADJUST_DEFAULTS;
  } catch {
    return ADJUST_DEFAULTS; // storage refused (private mode) or a corrupt value
  }
}

export function writeAdjust(store: Store | undefined, a: Adjustments): void {
  try {
    if (isDefaultAdjust(a)) store?.removeItem(ADJUST_SETTING);
    else store?.setItem(ADJUST_SETTING, JSON.stringify(a));
  } catch {
    // not remembered; the sliders still work for this page
  }
}

/** The adjustments of this browser: read once, written on each change, and told to whoever listens (the editors'
 * canvases redraw, the sliders follow). */
export class AdjustStore {
  private current: Adjustments | null = null;
  private readonly listeners = new Set<(a: Adjustments) => void>();

  constructor(private readonly storage: () => Store | undefined) {}

  get value(): Adjustments {
    return (this.current ??= readAdjust(this.storage()));
  }

  /** The canvas filter for the current values (`none` at the defaults). */
  get filter(): string {
    return adjustFilter(this.value);
  }

  /** Change some values (clamped); stored and told only when something changed. */
  set(patch: Partial<Adjustments>): void {
    const next = normalizeAdjust({ ...this.value, ...patch });
    if (sameAdjust(next, this.value)) return;
    this.current = next;
    writeAdjust(this.storage(), next);
    for (const fn of this.listeners) fn(next);
  }

  reset(): void {
    this.set(ADJUST_DEFAULTS);
  }

  subscribe(fn: (a: Adjustments) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }
}

function browserStorage(): Store | undefined {
  try {
    return globalThis.localStorage ?? undefined;
  } catch {
    return undefined; // refused (a sandboxed frame)
  }
}

/** The one store both editors use. */
export const imageAdjust = new AdjustStore(browserStorage);

/** Whether this browser can filter what is drawn on a 2D canvas (without it the sliders would do nothing). */
export function canvasCanFilter(): boolean {
  return typeof CanvasRenderingContext2D !== 'undefined' && 'filter' in CanvasRenderingContext2D.prototype;
}
