/**
 * The state core of `EditorCore` (free of the DOM): the annotation list and everything the editor keeps about
 * it, reading it (the spatial index, lookups, visibility, counts), change events, and undo and redo. The layers
 * on top add saving and conflicts (`core-save.ts`), proposal decisions (`core-proposals.ts`) and the
 * selection and editing commands (`core.ts`).
 */

import type { AttributeSpec } from '../attributes';
import { diffByKey, fromApi, keyedApi, serverKey, toInput, type Keyed, type ListDiff } from './annotations';
import { annBounds } from './geometry';
import { History } from './history';
import { misfitEdit } from './keypoints';
import type { MergeStats } from './merge';
import type { ConflictRow } from './merge-describe';
import { Selection } from './selection';
import { GridIndex } from './spatial';
import {
  type Ann,
  type AnnotationInput,
  type AnnotationKind,
  type ApiAnnotation,
  canEdit,
  canReview,
  type EditorItem,
  type LabelClass,
  type LabelSchema,
  type LoadFn,
  type SavedState,
  type SaveFn,
  type SegmentFn,
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
  /** What "merge" would do, once their copy is here. */
  merge: MergeView | null;
}

export interface MergeView {
  stats: MergeStats;
  /** Annotations both sides changed (or one deleted and the other changed), with the choice made so far. */
  conflicts: ConflictRow[];
  /** Conflicts still without a choice: "merge" waits for them. */
  open: number;
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
  /** Box to polygon (the "Box → polygon" tool); absent: the tool is off. */
  segment?: SegmentFn;
  /** Milliseconds after the last change before autosave runs (default 800). */
  autosaveDelay?: number;
  /** First delay before retrying a save that failed for a reason other than a conflict (doubles, max 60 s). */
  retryDelay?: number;
  timers?: Timers;
}

const GREY = '#9aa3af';

export abstract class CoreState {
  readonly item: EditorItem;
  readonly schema: LabelSchema;
  readonly standing: Standing;
  readonly classes: readonly LabelClass[];
  /** The attributes the project declares (the panel's controls, new shapes' defaults, what a relabel drops). */
  readonly specs: readonly AttributeSpec[];

  /** The annotation list; replaced (never mutated) by every edit. */
  anns: readonly Ann[];
  version: number;
  tool: Tool = 'select';
  currentLabel: string | null;
  hiddenLabels = new Set<string>();
  showRejected = false;
  shapesHidden = false;
  threshold = 0.5;

  saveStatus: SaveStatus;
  saveError: string | null = null;
  /** Why the last save failed, in words for the status line ("the server cannot be reached; retrying"). */
  saveReason: string | null = null;
  lastSavedAt: number | null = null;
  conflict: ConflictInfo | null = null;
  notice: Notice | null = null;
  /** Bumped on every change; UI code compares it to know it must re-read. */
  revision = 0;

  readonly history = new History<readonly Ann[]>(500);

  /** True while a box waits for the server's polygon (the tool shows it is busy and takes no new box). */
  segmenting = false;

  protected readonly saveFn: SaveFn | undefined;
  protected readonly segmentFn: SegmentFn | undefined;
  protected readonly loadFn: LoadFn | undefined;
  protected readonly delay: number;
  protected readonly retryBase: number;
  protected readonly timers: Timers;
  protected readonly listeners = new Set<() => void>();
  protected readonly colors = new Map<string, string>();

  /** Local key -> server id, for every annotation that ever had one. */
  protected readonly ids = new Map<string, number>();
  /** The ids the server holds for this item, as of the last load or save. */
  protected serverIds = new Set<number>();
  /** The last copy the server confirmed (what this editor last loaded or saved): the merge's base. */
  protected baseList: readonly ApiAnnotation[];
  /** The same, as ids and contents, for the conflict panel's "what changed". */
  protected base: Keyed[];
  /** The list as of the last successful save or load: when `anns` is this list, nothing is unsaved. */
  protected syncedAnns: readonly Ann[];
  protected timer: unknown = null;
  protected inflight: Promise<void> | null = null;
  protected retries = 0;

  /** The selection: a set of keys and its primary (`selection.ts`). */
  readonly selection = new Selection();

  private indexFor: readonly Ann[] | null = null;
  private indexCache: GridIndex<Ann> | null = null;
  private keyMap = new Map<string, Ann>();

  constructor(opts: CoreOptions) {
    this.item = opts.item;
    this.schema = opts.schema;
    this.standing = opts.standing;
    this.classes = opts.schema.classes ?? [];
    this.specs = opts.schema.attributes ?? [];
    this.classes.forEach((c) => this.colors.set(c.name, c.color));
    this.currentLabel = this.classes[0]?.name ?? null;
    this.saveFn = opts.save;
    this.loadFn = opts.load;
    this.segmentFn = opts.segment;
    this.delay = opts.autosaveDelay ?? 800;
    this.retryBase = opts.retryDelay ?? 5000;
    this.timers = opts.timers ?? realTimers;
    this.version = opts.item.version;
    this.anns = this.adoptServerList(opts.annotations);
    this.baseList = opts.annotations;
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

  /** The primary selected annotation's key. Setting it selects that one alone (null: nothing), as every
   * command that moves the selection (a click, Tab, a new shape, the next proposal) does. */
  get selectedKey(): string | null {
    return this.selection.primary;
  }

  set selectedKey(key: string | null) {
    this.selection.only(key);
  }

  /** Every selected annotation's key, in the order picked (the primary last). */
  get selectedKeys(): ReadonlySet<string> {
    return this.selection.keys;
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
    if (this.shapesHidden && !this.selection.has(a.key)) return false;
    if (a.label !== null && this.hiddenLabels.has(a.label)) return false;
    return this.showRejected || a.state !== 'rejected';
  }

  get hasUnsaved(): boolean {
    return !this.readonly && (this.anns !== this.syncedAnns || this.inflight !== null);
  }

  private unsavedFor: [readonly Ann[], readonly Ann[]] | null = null;
  private unsavedCache: ListDiff = { added: 0, removed: 0, changed: 0, unchanged: 0 };

  /**
   * What is not saved yet: the list against the copy the server last confirmed (`syncedAnns`, which every save,
   * load and conflict resolution replaces), matched by local key. Recomputed whenever either list changes.
   */
  get unsaved(): ListDiff {
    const u = this.unsavedFor;
    if (!u || u[0] !== this.anns || u[1] !== this.syncedAnns) {
      this.unsavedCache = diffByKey(this.syncedAnns, this.anns);
      this.unsavedFor = [this.anns, this.syncedAnns];
    }
    return this.unsavedCache;
  }

  /** How many annotations differ from the server's copy (added, removed or changed). */
  get unsavedCount(): number {
    const d = this.unsaved;
    return this.readonly ? 0 : d.added + d.removed + d.changed;
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

  protected emit(): void {
    this.revision += 1;
    for (const fn of this.listeners) fn();
  }

  notify(text: string, tone: Notice['tone'] = 'info'): void {
    this.notice = { text, tone, at: Date.now() };
    this.emit();
  }

  /** Takes the notice back when it is `text` and no longer holds (the polygon that had too few points closed). */
  dismissNotice(text: string): void {
    if (this.notice?.text !== text) return;
    this.notice = null;
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
    const misfit = misfitEdit(this.anns, next, this.classes); // the server refuses such an edit
    if (misfit) return (this.notify(misfit, 'warn'), false);
    this.history.push(this.anns, label);
    this.anns = next;
    if (select !== undefined) this.selectedKey = select;
    else this.fixSelection();
    this.changed();
    return true;
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

  /** Drop from the selection what the list no longer holds (after undo, redo, a load) or `keep` refuses (a shape
   * hidden since); a primary dropped hands over to the last picked of those left. */
  protected fixSelection(keep?: (a: Ann) => boolean): boolean {
    if (this.selection.size === 0) return false;
    return this.selection.retain((k) => {
      const a = this.get(k);
      return a !== undefined && (!keep || keep(a));
    });
  }

  /** Editor annotations for a server list, reusing the local key of every id this editor already knows. */
  protected adoptServerList(list: readonly ApiAnnotation[]): Ann[] {
    const out = this.asEditorList(list);
    out.forEach((a, i) => {
      const id = list[i]!.id;
      this.ids.set(a.key, id);
      this.serverIds.add(id);
    });
    return out;
  }

  /** The copy the server confirmed, as of a load, a save or a conflict's resolution: the merge's base. */
  protected setBase(list: readonly ApiAnnotation[]): void {
    this.baseList = list;
    this.base = keyedApi(list);
  }

  /** Server id -> the local key this editor uses for it (for every id that ever had one). */
  protected keyById(): Map<number, string> {
    const out = new Map<number, string>();
    for (const [k, id] of this.ids) out.set(id, k);
    return out;
  }

  /** Editor annotations for a server list, without registering their ids (see `adoptServerList`). */
  protected asEditorList(list: readonly ApiAnnotation[]): Ann[] {
    const keyById = this.keyById();
    return list.map((a) => fromApi(a, keyById.get(a.id) ?? serverKey(a.id)));
  }

  /** After an edit: mark unsaved and (re)start the autosave countdown (`core-save.ts`). */
  protected abstract changed(): void;
}
