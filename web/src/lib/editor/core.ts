/**
 * The editor's document and commands, free of the DOM: the annotation list, selection, undo and redo, model
 * proposals, and autosave with the item's version check. The canvas view and the Svelte component drive it;
 * tests drive it directly with a fake `save` and fake timers.
 */

import {
  assignNewIds,
  contentKey,
  diffLists,
  fromApi,
  keyedAnns,
  keyedApi,
  newAnnotation,
  serverKey,
  toInput,
  type Keyed,
  type ListDiff,
} from './annotations';
import { annBounds, isDrawable, rectToBox, round2 } from './geometry';
import { count as countOf } from '../plural';
import { History } from './history';
import { acceptAllAbove, isProposal, nextProposal, setState } from './proposals';
import { GridIndex } from './spatial';
import {
  type Ann,
  type AnnotationInput,
  type AnnotationKind,
  type ApiAnnotation,
  canEdit,
  canReview,
  type EditorItem,
  type Geometry,
  isConflict,
  type LabelClass,
  type LabelSchema,
  type LoadFn,
  type Rect,
  type SavedState,
  type SaveFn,
  type Standing,
  type Tool,
} from './types';

export type SaveStatus = 'saved' | 'pending' | 'saving' | 'error' | 'conflict' | 'readonly';

export interface ConflictInfo {
  /** The version the server reported in its 409, when it did. */
  currentVersion: number | null;
  /** The server's copy, once fetched. */
  theirs: SavedState | null;
  loading: boolean;
  error: string | null;
  /** What the other person changed, from the copy this editor last saved or loaded to theirs. */
  theirChanges: ListDiff | null;
  /** What you changed since that copy. */
  yourChanges: ListDiff;
  /** What "keep mine" would do to their copy. */
  mineOverTheirs: ListDiff | null;
}

export interface Notice {
  text: string;
  tone: 'info' | 'warn' | 'error';
  at: number;
}

export interface Timers {
  set(fn: () => void, ms: number): unknown;
  clear(handle: unknown): void;
}

const realTimers: Timers = {
  set: (fn, ms) => setTimeout(fn, ms),
  clear: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
};

export interface CoreOptions {
  item: EditorItem;
  schema: LabelSchema;
  annotations: readonly ApiAnnotation[];
  standing: Standing;
  save?: SaveFn;
  load?: LoadFn;
  /** Milliseconds after the last change before autosave runs (default 800). */
  autosaveDelay?: number;
  /** First delay before retrying a save that failed for a reason other than a conflict (doubles, max 60 s). */
  retryDelay?: number;
  timers?: Timers;
}

const GREY = '#9aa3af';

/** An error a SaveFn may throw with an HTTP status; 4xx other than 408/429 are not retried automatically. */
function isPermanent(err: unknown): boolean {
  const status = (err as { status?: unknown } | null)?.status;
  return typeof status === 'number' && status >= 400 && status < 500 && status !== 408 && status !== 429;
}

function message(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}

export class EditorCore {
  readonly item: EditorItem;
  readonly schema: LabelSchema;
  readonly standing: Standing;
  readonly classes: readonly LabelClass[];

  /** The annotation list; replaced (never mutated) by every edit. */
  anns: readonly Ann[];
  version: number;
  selectedKey: string | null = null;
  tool: Tool = 'select';
  currentLabel: string | null;
  hiddenLabels = new Set<string>();
  showRejected = false;
  shapesHidden = false;
  threshold = 0.5;

  saveStatus: SaveStatus;
  saveError: string | null = null;
  lastSavedAt: number | null = null;
  conflict: ConflictInfo | null = null;
  notice: Notice | null = null;
  /** Bumped on every change; UI code compares it to know it must re-read. */
  revision = 0;

  readonly history = new History<readonly Ann[]>(500);

  private readonly saveFn: SaveFn | undefined;
  private readonly loadFn: LoadFn | undefined;
  private readonly delay: number;
  private readonly retryBase: number;
  private readonly timers: Timers;
  private readonly listeners = new Set<() => void>();
  private readonly colors = new Map<string, string>();

  /** Local key -> server id, for every annotation that ever had one. */
  private readonly ids = new Map<string, number>();
  /** The ids the server holds for this item, as of the last load or save. */
  private serverIds = new Set<number>();
  /** The last copy the server confirmed, for the conflict panel's "what changed". */
  private base: Keyed[];
  /** The list as of the last successful save or load: when `anns` is this list, nothing is unsaved. */
  private syncedAnns: readonly Ann[];
  private timer: unknown = null;
  private inflight: Promise<void> | null = null;
  private retries = 0;

  private indexFor: readonly Ann[] | null = null;
  private indexCache: GridIndex<Ann> | null = null;
  private keyMap = new Map<string, Ann>();

  constructor(opts: CoreOptions) {
    this.item = opts.item;
    this.schema = opts.schema;
    this.standing = opts.standing;
    this.classes = opts.schema.classes ?? [];
    this.classes.forEach((c) => this.colors.set(c.name, c.color));
    this.currentLabel = this.classes[0]?.name ?? null;
    this.saveFn = opts.save;
    this.loadFn = opts.load;
    this.delay = opts.autosaveDelay ?? 800;
    this.retryBase = opts.retryDelay ?? 5000;
    this.timers = opts.timers ?? realTimers;
    this.version = opts.item.version;
    this.anns = this.adoptServerList(opts.annotations);
    this.base = keyedApi(opts.annotations);
    this.syncedAnns = this.anns;
    this.saveStatus = this.readonly ? 'readonly' : 'saved';
  }

  // ---- reading -------------------------------------------------------------------------------------------

  get readonly(): boolean {
    return !canEdit(this.standing) || !this.saveFn;
  }

  get mayReview(): boolean {
    return canReview(this.standing) && !this.readonly;
  }

  /** The spatial index over drawable annotations, rebuilt lazily when the list changes. */
  get index(): GridIndex<Ann> {
    if (this.indexFor !== this.anns || !this.indexCache) {
      const idx = new GridIndex<Ann>(this.item.width, this.item.height);
      const keys = new Map<string, Ann>();
      for (const a of this.anns) {
        keys.set(a.key, a);
        const r = annBounds(a);
        if (r) idx.insert(r, a);
      }
      this.indexCache = idx;
      this.keyMap = keys;
      this.indexFor = this.anns;
    }
    return this.indexCache;
  }

  get(key: string | null): Ann | undefined {
    if (key === null) return undefined;
    void this.index;
    return this.keyMap.get(key);
  }

  get selected(): Ann | undefined {
    return this.get(this.selectedKey);
  }

  /** The server id of an annotation, or null when the server does not hold it (new, or deleted since). */
  idOf(key: string): number | null {
    const id = this.ids.get(key);
    return id !== undefined && this.serverIds.has(id) ? id : null;
  }

  colorOf(label: string | null): string {
    return (label !== null && this.colors.get(label)) || GREY;
  }

  allows(kind: AnnotationKind): boolean {
    return !this.schema.kinds || this.schema.kinds.includes(kind);
  }

  /** Whether an annotation is shown (and can be hit): not hidden by its class, not a hidden rejected one. */
  visible(a: Ann): boolean {
    if (this.shapesHidden && a.key !== this.selectedKey) return false;
    if (a.label !== null && this.hiddenLabels.has(a.label)) return false;
    return this.showRejected || a.state !== 'rejected';
  }

  get hasUnsaved(): boolean {
    return !this.readonly && (this.anns !== this.syncedAnns || this.inflight !== null);
  }

  /** Per class: how many boxes/polygons/tags use it (rejected ones not counted). */
  labelCounts(): Map<string, number> {
    const out = new Map<string, number>();
    for (const a of this.anns) {
      if (a.state === 'rejected' || a.label === null) continue;
      out.set(a.label, (out.get(a.label) ?? 0) + 1);
    }
    return out;
  }

  tags(): Ann[] {
    return this.anns.filter((a) => a.kind === 'class');
  }

  /** The list as the API would receive it (what tests read through `window.__editor`). */
  toInputs(): AnnotationInput[] {
    return this.anns.map((a) => toInput(a, this.idOf(a.key)));
  }

  // ---- events --------------------------------------------------------------------------------------------

  subscribe(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  private emit(): void {
    this.revision += 1;
    for (const fn of this.listeners) fn();
  }

  notify(text: string, tone: Notice['tone'] = 'info'): void {
    this.notice = { text, tone, at: Date.now() };
    this.emit();
  }

  // ---- view state ------------------------------------------------------------------------------------------

  select(key: string | null): void {
    if (key !== null && !this.get(key)) key = null;
    if (key === this.selectedKey) return;
    this.selectedKey = key;
    this.emit();
  }

  /** Select the next (or previous) visible shape in list order, wrapping around. */
  selectStep(step: 1 | -1): void {
    const shapes = this.anns.filter((a) => isDrawable(a) && this.visible(a));
    if (shapes.length === 0) return;
    const at = shapes.findIndex((a) => a.key === this.selectedKey);
    const next = at < 0 ? (step === 1 ? 0 : shapes.length - 1) : (at + step + shapes.length) % shapes.length;
    this.select(shapes[next]!.key);
  }

  setTool(tool: Tool): void {
    if (tool !== 'select' && this.readonly) return this.notify('This item is read-only for you', 'warn');
    const kind = tool === 'box' ? 'box' : 'polygon';
    if (tool !== 'select' && !this.allows(kind)) {
      return this.notify(`This project does not allow ${kind === 'box' ? 'boxes' : 'polygons'}`, 'warn');
    }
    this.tool = tool;
    this.emit();
  }

  /** Pick the label for new shapes; with a shape selected, relabel it too. */
  chooseLabel(name: string): void {
    if (!this.colors.has(name)) return;
    this.currentLabel = name;
    const sel = this.selected;
    if (sel && sel.kind !== 'class' && sel.label !== name && !this.readonly) {
      this.replace(sel.key, { ...sel, label: name }, `relabel to ${name}`);
      return;
    }
    this.emit();
  }

  toggleLabelHidden(name: string): void {
    if (this.hiddenLabels.has(name)) this.hiddenLabels.delete(name);
    else this.hiddenLabels.add(name);
    const sel = this.selected;
    if (sel && !this.visible(sel)) this.selectedKey = null;
    this.emit();
  }

  setShowRejected(on: boolean): void {
    this.showRejected = on;
    const sel = this.selected;
    if (sel && !this.visible(sel)) this.selectedKey = null;
    this.emit();
  }

  toggleShapesHidden(): void {
    this.shapesHidden = !this.shapesHidden;
    this.emit();
  }

  setThreshold(v: number): void {
    this.threshold = Math.min(1, Math.max(0, v));
    this.emit();
  }

  // ---- edits ---------------------------------------------------------------------------------------------

  /** Replace the list with `next` as one undoable step. Returns false (and says why) when not allowed. */
  commit(next: readonly Ann[], label: string, select?: string | null): boolean {
    if (this.readonly) {
      this.notify('This item is read-only for you', 'warn');
      return false;
    }
    if (next === this.anns) return false;
    this.history.push(this.anns, label);
    this.anns = next;
    if (select !== undefined) this.selectedKey = select;
    else if (this.selectedKey !== null && !this.get(this.selectedKey)) this.selectedKey = null;
    this.changed();
    return true;
  }

  private replace(key: string, ann: Ann, label: string): boolean {
    const i = this.anns.findIndex((a) => a.key === key);
    if (i < 0) return false;
    const next = this.anns.slice();
    next[i] = ann;
    return this.commit(next, label);
  }

  private labelForNew(): string | null | false {
    if (this.classes.length === 0) return null;
    if (this.currentLabel === null) {
      this.notify('Pick a label first (1-9)', 'warn');
      return false;
    }
    return this.currentLabel;
  }

  addBox(r: Rect): string | null {
    if (!this.allows('box')) return (this.notify('This project does not allow boxes', 'warn'), null);
    const label = this.labelForNew();
    if (label === false) return null;
    const a = newAnnotation('box', { bbox: rectToBox(r) }, label);
    return this.commit([...this.anns, a], 'draw box', a.key) ? a.key : null;
  }

  addPolygon(points: readonly number[]): string | null {
    if (!this.allows('polygon')) return (this.notify('This project does not allow polygons', 'warn'), null);
    if (points.length < 6) return (this.notify('A polygon needs at least 3 points', 'warn'), null);
    const label = this.labelForNew();
    if (label === false) return null;
    const a = newAnnotation('polygon', { points: points.map(round2) }, label);
    return this.commit([...this.anns, a], 'draw polygon', a.key) ? a.key : null;
  }

  setGeometry(key: string, geometry: Geometry, label: string): boolean {
    const a = this.get(key);
    if (!a) return false;
    if (JSON.stringify(a.geometry) === JSON.stringify(geometry)) return false;
    return this.replace(key, { ...a, geometry }, label);
  }

  deleteSelected(): boolean {
    const key = this.selectedKey;
    if (key === null) return false;
    const a = this.get(key);
    const next = this.anns.filter((x) => x.key !== key);
    return this.commit(next, `delete ${a?.kind ?? 'annotation'}`, null);
  }

  /** Add the whole-image tag `label`, or remove it when present (a proposed tag is accepted instead). */
  toggleTag(label: string): boolean {
    if (!this.allows('class')) return (this.notify('This project does not allow image tags', 'warn'), false);
    const existing = this.anns.find((a) => a.kind === 'class' && a.label === label && a.state !== 'rejected');
    if (!existing) {
      const rejected = this.anns.find((a) => a.kind === 'class' && a.label === label);
      const next = this.anns.filter((a) => a !== rejected);
      return this.commit([...next, newAnnotation('class', {}, label)], `tag ${label}`);
    }
    if (isProposal(existing)) return this.decide(existing.key, 'accepted');
    return this.commit(
      this.anns.filter((a) => a !== existing),
      `untag ${label}`,
    );
  }

  /** Accept (`accepted`) or reject (`rejected`) a model proposal; moves the selection to the next proposal. */
  decide(key: string | null, state: 'accepted' | 'rejected'): boolean {
    const a = this.get(key);
    if (!a || a.source !== 'model') {
      this.notify('Select a model proposal first', 'warn');
      return false;
    }
    if (!this.mayReview) {
      this.notify('Accepting or rejecting proposals needs the reviewer role', 'warn');
      return false;
    }
    const nextKey = nextProposal(this.anns, a.key);
    const next = setState(this.anns, a.key, state);
    const follow = nextKey !== a.key ? nextKey : null;
    const label = `${state === 'accepted' ? 'accept' : 'reject'} proposal`;
    const select = a.kind === 'class' ? this.selectedKey : follow;
    return this.commit(next, label, select);
  }

  acceptAbove(threshold = this.threshold): number {
    if (!this.mayReview) {
      this.notify('Accepting proposals needs the reviewer role', 'warn');
      return 0;
    }
    const { list, count } = acceptAllAbove(this.anns, threshold);
    if (count) this.commit(list, `accept ${countOf(count, 'proposal')}`);
    this.notify(
      count ? `Accepted ${countOf(count, 'proposal')} scoring ${threshold.toFixed(2)} or more` : 'No proposals above that score',
    );
    return count;
  }

  undo(): boolean {
    if (this.readonly) return false;
    const s = this.history.undo(this.anns);
    if (!s) return false;
    this.anns = s.value;
    this.fixSelection();
    this.notice = { text: `Undid ${s.label}`, tone: 'info', at: Date.now() };
    this.changed();
    return true;
  }

  redo(): boolean {
    if (this.readonly) return false;
    const s = this.history.redo(this.anns);
    if (!s) return false;
    this.anns = s.value;
    this.fixSelection();
    this.notice = { text: `Redid ${s.label}`, tone: 'info', at: Date.now() };
    this.changed();
    return true;
  }

  private fixSelection(): void {
    if (this.selectedKey !== null && !this.anns.some((a) => a.key === this.selectedKey)) this.selectedKey = null;
  }

  // ---- saving --------------------------------------------------------------------------------------------

  /** After an edit: mark unsaved and (re)start the autosave countdown. */
  private changed(): void {
    if (this.saveStatus !== 'conflict' && !this.readonly) {
      if (this.anns === this.syncedAnns && !this.inflight) this.saveStatus = 'saved';
      else {
        if (this.saveStatus !== 'saving') this.saveStatus = 'pending';
        this.schedule(this.delay);
      }
    }
    this.emit();
  }

  private schedule(ms: number): void {
    if (this.timer !== null) this.timers.clear(this.timer);
    this.timer = this.timers.set(() => {
      this.timer = null;
      void this.saveNow();
    }, ms);
  }

  /** Save now if anything is unsaved, and wait for it (used when leaving the item). */
  async flush(): Promise<void> {
    if (this.timer !== null) {
      this.timers.clear(this.timer);
      this.timer = null;
    }
    while (this.inflight) await this.inflight;
    if (this.anns !== this.syncedAnns) await this.saveNow();
  }

  /** Send the whole list with the version; on success adopt the new version and the new ids. */
  saveNow(): Promise<void> {
    if (this.inflight) return this.inflight;
    if (this.readonly || !this.saveFn || this.saveStatus === 'conflict') return Promise.resolve();
    if (this.anns === this.syncedAnns) {
      this.saveStatus = 'saved';
      this.emit();
      return Promise.resolve();
    }
    const save = this.saveFn;
    const snapshot = this.anns;
    const sent = snapshot.map((a) => ({ key: a.key, id: this.idOf(a.key), content: contentKey(a) }));
    const payload = snapshot.map((a, i) => toInput(a, sent[i]!.id));
    this.saveStatus = 'saving';
    this.emit();
    const run = async (): Promise<void> => {
      try {
        const res = await save(this.version, payload);
        this.version = res.version;
        for (const [key, id] of assignNewIds(sent, res.annotations)) this.ids.set(key, id);
        this.serverIds = new Set(res.annotations.map((a) => a.id));
        this.base = keyedApi(res.annotations);
        this.syncedAnns = snapshot;
        this.saveError = null;
        this.retries = 0;
        this.lastSavedAt = Date.now();
        this.saveStatus = this.anns === snapshot ? 'saved' : 'pending';
      } catch (err) {
        if (isConflict(err)) {
          this.enterConflict(err.currentVersion);
        } else {
          this.saveStatus = 'error';
          this.saveError = message(err);
          if (!isPermanent(err)) {
            this.retries += 1;
            this.schedule(Math.min(60_000, this.retryBase * 2 ** (this.retries - 1)));
          }
        }
      } finally {
        this.inflight = null;
      }
      if (this.saveStatus === 'pending') this.schedule(this.delay);
      this.emit();
    };
    this.inflight = run();
    return this.inflight;
  }

  private enterConflict(currentVersion: number | null): void {
    if (this.timer !== null) {
      this.timers.clear(this.timer);
      this.timer = null;
    }
    this.saveStatus = 'conflict';
    this.conflict = {
      currentVersion,
      theirs: null,
      loading: !!this.loadFn,
      error: this.loadFn ? null : 'The server copy cannot be fetched here',
      theirChanges: null,
      yourChanges: diffLists(this.base, keyedAnns(this.anns, (k) => this.idOf(k))),
      mineOverTheirs: null,
    };
    if (this.loadFn) void this.fetchTheirs();
  }

  /** Fetch the server's copy for the conflict panel. */
  async fetchTheirs(): Promise<void> {
    const c = this.conflict;
    if (!c || !this.loadFn) return;
    c.loading = true;
    c.error = null;
    this.emit();
    try {
      const theirs = await this.loadFn();
      if (this.conflict !== c) return;
      const theirKeyed = keyedApi(theirs.annotations);
      c.theirs = theirs;
      c.theirChanges = diffLists(this.base, theirKeyed);
      c.yourChanges = diffLists(this.base, keyedAnns(this.anns, (k) => this.idOf(k)));
      const theirIds = new Set(theirs.annotations.map((a) => a.id));
      const mine = keyedAnns(this.anns, (k) => {
        const id = this.idOf(k);
        return id !== null && theirIds.has(id) ? id : null;
      });
      c.mineOverTheirs = diffLists(theirKeyed, mine);
    } catch (err) {
      if (this.conflict === c) c.error = message(err);
    } finally {
      if (this.conflict === c) c.loading = false;
      this.emit();
    }
  }

  /**
   * Settle a conflict. `mine` saves this editor's list over the server's copy (annotations they deleted come
   * back as new ones); `theirs` replaces this editor's list with theirs, as an undoable step.
   */
  async resolveConflict(choice: 'mine' | 'theirs'): Promise<void> {
    const c = this.conflict;
    if (!c) return;
    if (!c.theirs) await this.fetchTheirs();
    const theirs = c.theirs;
    if (!theirs) return;
    this.conflict = null;
    this.version = theirs.version;
    this.serverIds = new Set(theirs.annotations.map((a) => a.id));
    this.base = keyedApi(theirs.annotations);
    if (choice === 'mine') {
      this.saveStatus = 'pending';
      this.syncedAnns = [];
      this.emit();
      await this.saveNow();
      return;
    }
    const list = this.adoptServerList(theirs.annotations);
    this.history.push(this.anns, 'take their version');
    this.anns = list;
    this.syncedAnns = list;
    this.fixSelection();
    this.saveStatus = 'saved';
    this.notify('Loaded their version (Ctrl+Z brings yours back)');
  }

  /** Editor annotations for a server list, reusing the local key of every id this editor already knows. */
  private adoptServerList(list: readonly ApiAnnotation[]): Ann[] {
    const keyById = new Map<number, string>();
    for (const [k, id] of this.ids) keyById.set(id, k);
    return list.map((a) => {
      const key = keyById.get(a.id) ?? serverKey(a.id);
      this.ids.set(key, a.id);
      this.serverIds.add(a.id);
      return fromApi(a, key);
    });
  }

  dispose(): void {
    if (this.timer !== null) this.timers.clear(this.timer);
    this.timer = null;
    this.listeners.clear();
  }
}
