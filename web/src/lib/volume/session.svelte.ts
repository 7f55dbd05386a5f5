/**
 * One volume as the editor shows it: the slice on screen, the window it is drawn with, the slices fetched (cached,
 * the neighbours fetched ahead) and the slices with annotations (the slider's ticks). The image editor edits the
 * slice on screen: moving to another slice saves it first, then loads the other slice's annotations into the same
 * editor (`EditorCore.startOver`) and draws its image into the same canvas (`CanvasView.showImage`), so zoom, pan,
 * the tool and the brush stay as they were. Each slice keeps its own undo steps (`undo.ts`).
 */

import type { EditorApi } from '../editor/api';
import type { SavedState } from '../editor/types';
import { fetchSlice, loadSlice, type VolumeMeta } from './api';
import { neighbours, SliceCache } from './cache';
import { regionLabels, slicesWith } from './fill';
import { editorSignature, savedSignature, SliceHistories } from './undo';
import { applyMove, type SliceMove } from './keys';
import { valueAt, type SliceData } from './slice';
import { renderSlice, validWindow, type NamedWindow, type WindowLevel } from './window';

export interface Cursor {
  column: number;
  row: number;
  value: number | null;
}

export interface SliceStart {
  slice: number;
  data: SliceData;
  saved: SavedState;
}

/** Project -> the window preset last chosen in it (for this page's life). */
const chosenPresets = new Map<number, string>();

export class VolumeSession {
  /** The slice on screen (0-based) and the one asked for (they differ while it loads). */
  slice = $state(0);
  target = $state(0);
  window: WindowLevel = $state({ center: 0, width: 1 });
  /** The preset the window is, or null once changed by hand. */
  preset: string | null = $state(null);
  /** Slice -> how many annotations it has. */
  annotated: ReadonlyMap<number, number> = $state.raw(new Map());
  /** Slice -> the classes with a region (a mask or polygon, not rejected) on it: what fill between slices starts from. */
  regions: ReadonlyMap<number, readonly string[]> = $state.raw(new Map());
  cursor: Cursor | null = $state(null);
  /** Why the last slice could not be shown, or null. */
  failure: string | null = $state(null);

  readonly meta: VolumeMeta;
  readonly canvas: HTMLCanvasElement;
  private readonly ctx: CanvasRenderingContext2D;
  private readonly pixels: ImageData;
  private readonly cache = new SliceCache();
  private readonly inflight = new Map<number, Promise<SliceData>>();
  private readonly histories = new SliceHistories();
  private shown: SliceData;
  private editor: EditorApi | null = null;
  private switching = false;
  private drawQueued = false;
  private disposed = false;

  constructor(
    private readonly projectId: number,
    private readonly itemId: number,
    meta: VolumeMeta,
    start: SliceStart,
  ) {
    this.meta = meta;
    this.slice = start.slice;
    this.target = start.slice;
    this.shown = start.data;
    this.cache.put(start.slice, start.data);
    this.setTicks(meta.annotated);
    // The preset last chosen in this project, when this volume has it (a CT series read in "Lung" stays in it).
    const chosen = meta.windows.find((w) => w.name === chosenPresets.get(projectId));
    const first = chosen ?? meta.windows[0];
    this.window = first ? validWindow(first) : rangeWindow(meta.range);
    this.preset = first?.name ?? null;
    this.canvas = document.createElement('canvas');
    this.canvas.width = meta.width;
    this.canvas.height = meta.height;
    const ctx = this.canvas.getContext('2d');
    if (!ctx) throw new Error('This browser cannot draw on a canvas');
    this.ctx = ctx;
    this.pixels = ctx.createImageData(meta.width, meta.height);
    this.draw();
    this.prefetch(start.slice);
  }

  /** The editor is up: follow its cursor for the voxel under it. */
  attach(editor: EditorApi): () => void {
    this.editor = editor;
    const off = editor.view.onChange(() => this.follow());
    return () => {
      off();
      this.editor = null;
    };
  }

  dispose(): void {
    this.disposed = true;
  }

  get count(): number {
    return this.meta.slices;
  }

  /** Whether the image editor is using the arrow keys now (a selected shape, the polygon crosshair, a drag). */
  get editorHasArrows(): boolean {
    const e = this.editor;
    return !!e && (e.core.selectedKey !== null || e.view.keyCursor !== null || e.view.drawing);
  }

  // ---- the window ------------------------------------------------------------------------------------------

  setWindow(w: WindowLevel, preset: string | null = null): void {
    this.window = validWindow(w);
    this.preset = preset;
    this.queueDraw();
  }

  /** Show the preset `name`; the next volumes opened in this project start with it too (when they have it). */
  choosePreset(name: string): void {
    const p = this.meta.windows.find((w) => w.name === name);
    if (!p) return;
    this.setWindow(p, p.name);
    chosenPresets.set(this.projectId, p.name);
  }

  /** Back to the volume's default, the first preset (also for the volumes opened next). */
  resetWindow(): void {
    const first: NamedWindow | undefined = this.meta.windows[0];
    chosenPresets.delete(this.projectId);
    if (first) this.setWindow(first, first.name);
    else this.setWindow(rangeWindow(this.meta.range));
  }

  // ---- moving through the slices -------------------------------------------------------------------------

  move(m: SliceMove): void {
    void this.goTo(applyMove(this.target, this.count, m));
  }

  /**
   * Show slice `k`: save the slice on screen, fetch `k`'s values and annotations, then swap both in. Asked again
   * while one loads, the latest wins. A conflict or a failed save keeps the slice on screen (and says why), and so
   * does a shape being drawn.
   */
  async goTo(k: number): Promise<void> {
    // A shape being drawn (a brush stroke, a box being dragged, a polygon's points) belongs to its slice.
    if (this.editor?.view.drawing) {
      this.editor.core.notify('Finish the shape first (or Esc to cancel it), then change slice', 'warn');
      return;
    }
    const to = Math.max(0, Math.min(this.count - 1, Math.round(k)));
    this.target = to;
    if (this.switching) return;
    this.switching = true;
    try {
      while (this.target !== this.slice && !this.disposed) {
        const next = this.target;
        const core = this.editor?.core;
        if (core) {
          await core.flush();
          if (core.saveStatus === 'conflict' || core.saveStatus === 'error') {
            core.notify(
              core.saveStatus === 'conflict' ? 'Settle the conflict before changing slice' : 'This slice is not saved yet; its changes are still here',
              core.saveStatus === 'conflict' ? 'warn' : 'error',
            );
            this.target = this.slice;
            break;
          }
        }
        let data: SliceData;
        let saved: SavedState;
        try {
          [data, saved] = await Promise.all([this.sliceData(next), loadSlice(this.projectId, this.itemId, next)]);
        } catch (err) {
          this.failure = `Slice ${next + 1} could not be loaded: ${err instanceof Error ? err.message : String(err)}`;
          this.target = this.slice;
          break;
        }
        // Painted while it loaded: that belongs to the slice on screen, saved first (next turn of the loop).
        if (this.disposed || core?.hasUnsaved) continue;
        this.failure = null;
        // The slice left keeps its undo steps; the one shown gets back its own, if it is as it was left.
        if (core) this.histories.keep(this.slice, core.history.detach(), editorSignature(core.anns, (key) => core.idOf(key)));
        this.slice = next;
        this.shown = data;
        core?.startOver(saved, this.histories.take(next, savedSignature(saved.annotations)));
        this.noteSaved(next, saved);
        this.draw();
        this.follow();
        this.prefetch(next);
      }
    } finally {
      this.switching = false;
    }
  }

  /** Slice `k` as the server stored it (after a save or a reload): the ticks follow. */
  noteSaved(k: number, saved: SavedState): void {
    const labels = regionLabels(saved.annotations);
    const had = this.regions.get(k) ?? [];
    if (labels.length !== had.length || labels.some((l, i) => l !== had[i])) {
      const next = new Map(this.regions);
      if (labels.length > 0) next.set(k, labels);
      else next.delete(k);
      this.regions = next;
    }
    const n = saved.annotations.length;
    if ((this.annotated.get(k) ?? 0) === n) return;
    const next = new Map(this.annotated);
    if (n > 0) next.set(k, n);
    else next.delete(k);
    this.annotated = new Map([...next].sort((a, b) => a[0] - b[0]));
  }

  /** The slices with a region of `label`, ascending (the ends fill between slices may use). */
  regionSlices(label: string | null): number[] {
    return slicesWith(this.regions, label);
  }

  private setTicks(ticks: VolumeMeta['annotated']): void {
    this.annotated = new Map(ticks.map((a) => [a.slice, a.count]));
    this.regions = new Map(ticks.filter((a) => a.regions?.length).map((a) => [a.slice, a.regions!]));
  }

  /** Read the slice on screen again (after a fill added proposals to it) and the ticks of every slice. Edits made
   * meanwhile stay: their save meets the fill's new version, and the conflict panel merges them. */
  async reload(ticks: VolumeMeta['annotated']): Promise<void> {
    this.setTicks(ticks);
    const saved = await loadSlice(this.projectId, this.itemId, this.slice);
    const core = this.editor?.core;
    if (core && !core.hasUnsaved) core.startOver(saved);
  }

  /** The annotated slices, ascending. */
  get annotatedSlices(): number[] {
    return [...this.annotated.keys()];
  }

  // ---- fetching --------------------------------------------------------------------------------------------

  private sliceData(k: number): Promise<SliceData> {
    const hit = this.cache.get(k);
    if (hit) return Promise.resolve(hit);
    let p = this.inflight.get(k);
    if (!p) {
      p = fetchSlice(this.projectId, this.itemId, k).then(
        (s) => {
          this.cache.put(k, s);
          this.inflight.delete(k);
          return s;
        },
        (err: unknown) => {
          this.inflight.delete(k);
          throw err;
        },
      );
      this.inflight.set(k, p);
    }
    return p;
  }

  /** Fetch the neighbours of `k` ahead, one at a time, nearest first (a failure is left for when it is shown). */
  private prefetch(k: number): void {
    const todo = neighbours(k, this.count).filter((n) => !this.cache.has(n));
    void (async () => {
      for (const n of todo) {
        if (this.disposed || this.target !== k) return;
        await this.sliceData(n).catch(() => undefined);
      }
    })();
  }

  // ---- drawing ---------------------------------------------------------------------------------------------

  private queueDraw(): void {
    if (this.drawQueued) return;
    this.drawQueued = true;
    requestAnimationFrame(() => {
      this.drawQueued = false;
      if (!this.disposed) this.draw();
    });
  }

  private draw(): void {
    renderSlice(this.shown, this.window, this.pixels.data);
    this.ctx.putImageData(this.pixels, 0, 0);
    this.editor?.view.showImage(this.canvas);
  }

  private follow(): void {
    const c = this.editor?.view.cursor;
    if (!c) {
      this.cursor = null;
      return;
    }
    const column = Math.floor(c.x);
    const row = Math.floor(c.y);
    const value = valueAt(this.shown, column, row);
    this.cursor = value === null ? null : { column, row, value };
  }
}

/** The window over a whole value range (no presets came). */
function rangeWindow(range: [number, number]): WindowLevel {
  return { center: (range[0] + range[1]) / 2, width: Math.max(1, range[1] - range[0]) };
}
