/**
 * The editor with no server: a generated photo-like image, generated annotations and an in-memory "server"
 * that keeps versions like the real one (409 on a stale version). `benchmarks/bench_editor.py` and
 * `tests/e2e/test_editor_harness.py` open it; `window.__editor` and `window.__harness` are their handles.
 *
 * Query parameters: boxes (1000), proposals (share of boxes proposed by a model, 0.15), polygons (6),
 * masks (0: blobs of 60-300 px as COCO RLE, every other one a compressed string, one in five proposed),
 * w (1920), h (1080), seed (1), role (reviewer), delay (save latency in ms, 60), autosave (ms, 800).
 */

import { mount, unmount } from 'svelte';
import './app.css';
import type { EditorApi } from './lib/editor/api';
import Editor from './lib/editor/Editor.svelte';
import { candidatesAt } from './lib/editor/hittest';
import { encodeMask, encodeString } from './lib/editor/rle';
import { ConflictError, type AnnotationInput, type ApiAnnotation, type LabelSchema, type SavedState, type Standing } from './lib/editor/types';
import { toScreen } from './lib/editor/viewport';

const params = new URLSearchParams(location.search);
const num = (k: string, d: number): number => {
  const v = Number(params.get(k));
  return params.has(k) && Number.isFinite(v) ? v : d;
};
const W = num('w', 1920);
const H = num('h', 1080);
const BOXES = num('boxes', 1000);
const PROPOSED = num('proposals', 0.15);
const POLYGONS = num('polygons', BOXES > 0 ? 6 : 0);
const MASKS = num('masks', 0);
const SEED = num('seed', 1);
const DELAY = num('delay', 60);
const AUTOSAVE = num('autosave', 800);
const ROLE = (params.get('role') ?? 'reviewer') as Standing;

const SCHEMA: LabelSchema = {
  classes: [
    { name: 'car', color: '#e6194b', hotkey: '1' },
    { name: 'person', color: '#3cb44b', hotkey: '2' },
    { name: 'bicycle', color: '#ffe119', hotkey: '3' },
    { name: 'bus', color: '#4363d8', hotkey: '4' },
    { name: 'truck', color: '#f58231', hotkey: '5' },
    { name: 'traffic light', color: '#911eb4', hotkey: '6' },
    { name: 'dog', color: '#46f0f0', hotkey: '7' },
    { name: 'sign', color: '#f032e6', hotkey: '8' },
  ],
  kinds: ['box', 'polygon', 'class', 'mask'],
};

/** mulberry32: a small seeded generator, so every run draws the same scene. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A street-like picture with enough detail to look at when zoomed in. */
async function makeImage(seed: number): Promise<string> {
  const r = rng(seed * 7 + 3);
  const c = document.createElement('canvas');
  c.width = W;
  c.height = H;
  const g = c.getContext('2d')!;
  const sky = g.createLinearGradient(0, 0, 0, H * 0.55);
  sky.addColorStop(0, '#5b86b8');
  sky.addColorStop(1, '#c9d9e8');
  g.fillStyle = sky;
  g.fillRect(0, 0, W, H);
  for (let i = 0; i < 26; i++) {
    const bw = 60 + r() * 160;
    const bh = H * (0.18 + r() * 0.35);
    const x = r() * W;
    const shade = 70 + Math.floor(r() * 80);
    g.fillStyle = `rgb(${shade},${shade + 6},${shade + 14})`;
    g.fillRect(x, H * 0.58 - bh, bw, bh);
    g.fillStyle = 'rgba(255, 236, 170, 0.55)';
    for (let wy = H * 0.58 - bh + 10; wy < H * 0.58 - 14; wy += 18) {
      for (let wx = x + 8; wx < x + bw - 10; wx += 16) if (r() > 0.45) g.fillRect(wx, wy, 7, 9);
    }
  }
  const ground = g.createLinearGradient(0, H * 0.58, 0, H);
  ground.addColorStop(0, '#55585e');
  ground.addColorStop(1, '#2f3136');
  g.fillStyle = ground;
  g.fillRect(0, H * 0.58, W, H * 0.42);
  g.fillStyle = '#8b8f96';
  g.fillRect(0, H * 0.58, W, 16);
  g.strokeStyle = '#e8e2c8';
  g.lineWidth = 6;
  g.setLineDash([48, 36]);
  g.beginPath();
  g.moveTo(0, H * 0.8);
  g.lineTo(W, H * 0.8);
  g.stroke();
  g.setLineDash([]);
  const img = g.getImageData(0, 0, W, H);
  for (let i = 0; i < img.data.length; i += 4) {
    const n = (r() - 0.5) * 18;
    img.data[i] = img.data[i]! + n;
    img.data[i + 1] = img.data[i + 1]! + n;
    img.data[i + 2] = img.data[i + 2]! + n;
  }
  g.putImageData(img, 0, 0);
  const blob = await new Promise<Blob>((res, rej) => c.toBlob((b) => (b ? res(b) : rej(new Error('no blob'))), 'image/jpeg', 0.9));
  return URL.createObjectURL(blob);
}

function makeAnnotations(seed: number, firstId: number): ApiAnnotation[] {
  const r = rng(seed);
  const out: ApiAnnotation[] = [];
  let id = firstId;
  const base = { frame: null, track_id: null, attributes: {}, version: 1, item_id: 1 };
  for (let i = 0; i < BOXES; i++) {
    const w = Math.exp(Math.log(16) + r() * (Math.log(180) - Math.log(16)));
    const h = w * (0.5 + r() * 1.5);
    const x1 = r() * (W - w);
    const y1 = r() * Math.max(1, H - h);
    const cls = SCHEMA.classes[Math.floor(r() ** 1.6 * SCHEMA.classes.length)]!.name;
    const model = r() < PROPOSED;
    out.push({
      ...base,
      id: id++,
      kind: 'box',
      label: cls,
      geometry: { bbox: [x1, y1, Math.min(W, x1 + w), Math.min(H, y1 + h)].map((v) => Math.round(v * 100) / 100) },
      source: model ? 'model' : 'human',
      model_version: model ? 'detr-r50@2024-05' : null,
      score: model ? Math.round((0.3 + r() * 0.69) * 1000) / 1000 : null,
      state: model ? 'proposed' : 'accepted',
    });
  }
  for (let i = 0; i < POLYGONS; i++) {
    const cx = 150 + r() * (W - 300);
    const cy = 150 + r() * (H - 300);
    const n = 5 + Math.floor(r() * 5);
    const points: number[] = [];
    for (let k = 0; k < n; k++) {
      const a = (k / n) * Math.PI * 2;
      const rad = 50 + r() * 70;
      points.push(Math.round((cx + Math.cos(a) * rad) * 100) / 100, Math.round((cy + Math.sin(a) * rad) * 100) / 100);
    }
    out.push({ ...base, id: id++, kind: 'polygon', label: 'person', geometry: { points }, source: 'human', model_version: null, score: null, state: 'accepted' });
  }
  for (let i = 0; i < MASKS; i++) {
    const m = model(r, i);
    out.push({ ...base, id: id++, kind: 'mask', label: m.label, geometry: blob(r, i % 2 === 0), ...m.origin });
  }
  if (BOXES > 0) {
    out.push({ ...base, id: id++, kind: 'class', label: 'car', geometry: {}, source: 'model', model_version: 'clip-l@2024-03', score: 0.91, state: 'proposed' });
  }
  return out;
}

/** A blob-like mask (a wobbly ellipse 60-300 px across) as COCO RLE: `compressed` as COCO's string, else counts. */
function blob(r: () => number, compressed: boolean): { size: number[]; counts: number[] | string } {
  const rx = 30 + r() * 120;
  const ry = 30 + r() * 120;
  const cx = rx + r() * (W - 2 * rx);
  const cy = ry + r() * (H - 2 * ry);
  const wob = [r(), r(), r()].map((v) => v * 0.25);
  const bm = { h: H, w: W, data: new Uint8Array(W * H) };
  for (let x = Math.floor(cx - rx); x <= Math.ceil(cx + rx); x++) {
    for (let y = Math.floor(cy - ry); y <= Math.ceil(cy + ry); y++) {
      const a = Math.atan2(y - cy, x - cx);
      const k = 1 + wob[0]! * Math.sin(3 * a) + wob[1]! * Math.cos(5 * a) - wob[2]!;
      if (x >= 0 && y >= 0 && x < W && y < H && ((x - cx) / rx) ** 2 + ((y - cy) / ry) ** 2 <= k * k) bm.data[x * H + y] = 1;
    }
  }
  const counts = encodeMask(bm);
  return { size: [H, W], counts: compressed ? encodeString(counts) : counts };
}

/** The class of a generated mask, and one in five a model's proposal. */
function model(r: () => number, i: number): { label: string; origin: Pick<ApiAnnotation, 'source' | 'model_version' | 'score' | 'state'> } {
  const label = SCHEMA.classes[Math.floor(r() * SCHEMA.classes.length)]!.name;
  if (i % 5 !== 4) return { label, origin: { source: 'human', model_version: null, score: null, state: 'accepted' } };
  return { label, origin: { source: 'model', model_version: 'sam-b@2024-06', score: Math.round((0.5 + r() * 0.49) * 1000) / 1000, state: 'proposed' } };
}

/** An in-memory stand-in for `PUT /items/{id}/annotations`: same version rule, ids assigned in order. */
class FakeServer {
  version = 1;
  nextId: number;
  annotations: ApiAnnotation[];
  saves = 0;
  constructor(list: ApiAnnotation[]) {
    this.annotations = list;
    this.nextId = list.reduce((m, a) => Math.max(m, a.id), 0) + 1;
  }

  async save(version: number, list: AnnotationInput[]): Promise<SavedState> {
    await new Promise((res) => setTimeout(res, DELAY));
    if (version !== this.version) {
      throw new ConflictError(`item 1 was changed by someone else (you had version ${version}, it is now ${this.version})`, this.version);
    }
    const known = new Map(this.annotations.map((a) => [a.id, a]));
    const out: ApiAnnotation[] = [];
    for (const a of list) {
      if (a.id !== null && !known.has(a.id)) throw Object.assign(new Error(`annotation ${a.id} does not belong to item 1`), { status: 422 });
      out.push({ ...a, id: a.id ?? this.nextId++, item_id: 1, version: 1 });
    }
    out.sort((x, y) => x.id - y.id);
    this.annotations = out;
    this.version += 1;
    this.saves += 1;
    return this.copy();
  }

  copy(): SavedState {
    return { version: this.version, annotations: this.annotations.map((a) => ({ ...a })) };
  }

  /** Someone else saves: one annotation added, the first one removed. */
  externalEdit(): void {
    const [, ...rest] = this.annotations;
    this.annotations = [
      ...rest,
      { id: this.nextId++, item_id: 1, kind: 'box', label: 'sign', geometry: { bbox: [10, 10, 60, 60] }, frame: null, track_id: null, source: 'human', model_version: null, score: null, state: 'accepted', attributes: {}, version: 1 },
    ];
    this.version += 1;
  }
}

interface Harness {
  server: FakeServer;
  item: number;
  go: (step: number) => Promise<void>;
  /** A point (client pixels) on a visible box that a click would select, other than the selected one. */
  clickPoint: (i: number) => { x: number; y: number; key: string } | null;
  /** Pan and zoom for `frames` animation frames; returns frame intervals and the editor's draw times (ms). */
  panZoom: (frames: number) => Promise<{ intervals: number[]; draw: number[]; work: number[] }>;
  /** Mean time of one hit test over random points (microseconds). */
  hitTestCost: (n: number) => number;
}

declare global {
  interface Window {
    __editor?: EditorApi;
    __harness?: Harness;
  }
}

const target = document.getElementById('editor')!;
let current: ReturnType<typeof mount> | null = null;
let itemNo = 0;

async function open(step: number): Promise<void> {
  itemNo += step;
  if (current) await unmount(current);
  window.__editor = undefined;
  const seed = SEED + itemNo;
  const server = new FakeServer(makeAnnotations(seed, 1));
  const url = await makeImage(seed);
  harness.server = server;
  harness.item = itemNo;
  current = mount(Editor, {
    target,
    props: {
      item: { id: 1 + itemNo, projectId: 1, name: `street_${String(seed).padStart(4, '0')}.jpg`, width: W, height: H, mediaUrl: url, version: server.version },
      schema: SCHEMA,
      annotations: server.copy().annotations,
      standing: ROLE,
      save: (v, list) => server.save(v, list),
      load: async () => server.copy(),
      onnext: () => void open(1),
      onprev: itemNo > 0 ? () => void open(-1) : undefined,
      position: `${itemNo + 1} / 50`,
      autosaveDelay: AUTOSAVE,
      onready: (api: EditorApi) => {
        window.__editor = api;
      },
    },
  });
}

function canvasEl(): HTMLCanvasElement {
  return document.querySelector('[data-testid="editor-canvas"]') as HTMLCanvasElement;
}

const harness: Harness = {
  server: new FakeServer([]),
  item: 0,
  go: open,
  clickPoint(i: number) {
    const ed = window.__editor;
    if (!ed) return null;
    const { core, view } = ed;
    const rect = canvasEl().getBoundingClientRect();
    const r = rng(1000 + i);
    for (let tries = 0; tries < 500; tries++) {
      const a = core.anns[Math.floor(r() * core.anns.length)];
      const b = a?.geometry.bbox;
      if (!a || !b || a.key === core.selectedKey || !core.visible(a)) continue;
      const p = { x: (b[0]! + b[2]!) / 2, y: (b[1]! + b[3]!) / 2 };
      const top = candidatesAt(core.index, p, { tol: 6 / view.zoom, visible: (x) => core.visible(x) })[0];
      if (top?.key !== a.key) continue;
      const s = toScreen(view.view, p);
      if (s.x < 2 || s.y < 2 || s.x > rect.width - 2 || s.y > rect.height - 2) continue;
      return { x: rect.left + s.x, y: rect.top + s.y, key: a.key };
    }
    return null;
  },
  panZoom(frames: number) {
    const ed = window.__editor!;
    const c = canvasEl();
    const rect = c.getBoundingClientRect();
    const cx = rect.left + rect.width / 2;
    const cy = rect.top + rect.height / 2;
    const ev = (type: string, x: number, y: number, buttons: number): PointerEvent =>
      new PointerEvent(type, { clientX: x, clientY: y, button: 1, buttons, pointerId: 1, bubbles: true, cancelable: true });
    ed.view.fit();
    c.dispatchEvent(ev('pointerdown', cx, cy, 4));
    const drawFrom = ed.view.probe.draw.length;
    return new Promise((resolve) => {
      const intervals: number[] = [];
      const work: number[] = [];
      let i = 0;
      let last = 0;
      const step = (now: number): void => {
        if (i > 0) intervals.push(now - last);
        last = now;
        if (i >= frames) {
          c.dispatchEvent(ev('pointerup', cx, cy, 0));
          resolve({ intervals, draw: ed.view.probe.draw.slice(drawFrom), work });
          return;
        }
        const t0 = performance.now();
        const ph = (i / 90) * Math.PI * 2;
        // Pan in a circle while zooming in and out (about 1x to 5x the fit) at the pointer.
        c.dispatchEvent(ev('pointermove', cx + Math.cos(ph) * 180, cy + Math.sin(ph) * 110, 4));
        c.dispatchEvent(new WheelEvent('wheel', { clientX: cx, clientY: cy, deltaY: -Math.cos(ph / 2) * 36, bubbles: true, cancelable: true }));
        work.push(performance.now() - t0);
        i += 1;
        requestAnimationFrame(step);
      };
      requestAnimationFrame(step);
    });
  },
  hitTestCost(n: number) {
    const { core, view } = window.__editor!;
    const r = rng(77);
    const t0 = performance.now();
    for (let i = 0; i < n; i++) {
      const p = { x: r() * W, y: r() * H };
      candidatesAt(core.index, p, { tol: 6 / view.zoom, visible: (x) => core.visible(x) });
    }
    return ((performance.now() - t0) * 1000) / n;
  },
};
window.__harness = harness;
void open(0);
