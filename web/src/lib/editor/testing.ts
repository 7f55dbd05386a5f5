/**
 * Test doubles for the editor core's tests (`core.test.ts`, `core-conflict.test.ts`, the text editor's
 * `commands.test.ts`): a two-class schema, timers run by hand, and a server that checks versions like the real one.
 */
import { EditorCore, type Timers } from './core';
import { ConflictError, type AnnotationInput, type ApiAnnotation, type LabelSchema, type SavedState, type Standing } from './types';

export const schema: LabelSchema = {
  classes: [
    { name: 'car', color: '#e6194b', hotkey: '1' },
    { name: 'dog', color: '#3cb44b', hotkey: '2' },
  ],
  kinds: ['box', 'polygon', 'class'],
};

/** Timers run by hand: `advance(ms)` fires what is due by then, `runAll()` everything. */
export class FakeTimers implements Timers {
  now = 0;
  private next = 1;
  private jobs = new Map<number, { at: number; fn: () => void }>();
  set(fn: () => void, ms = 0): unknown {
    const id = this.next++;
    this.jobs.set(id, { at: this.now + ms, fn });
    return id;
  }
  clear(h: unknown): void {
    this.jobs.delete(h as number);
  }
  get pending(): number {
    return this.jobs.size;
  }
  advance(ms: number): void {
    this.now += ms;
    for (const [id, j] of [...this.jobs]) {
      if (j.at <= this.now) {
        this.jobs.delete(id);
        j.fn();
      }
    }
  }
  runAll(): void {
    const jobs = [...this.jobs.values()];
    this.jobs.clear();
    for (const j of jobs) j.fn();
  }
}

/** A server like the real one: version check, ids in insertion order, list returned in id order. */
export class FakeServer {
  version = 3;
  nextId = 100;
  calls: { version: number; list: AnnotationInput[] }[] = [];
  /** Lose the answer of the next save (it is stored all the same). */
  loseAnswer = false;
  constructor(public list: ApiAnnotation[]) {}
  save = async (version: number, list: AnnotationInput[]): Promise<SavedState> => {
    this.calls.push({ version, list });
    if (version !== this.version) throw new ConflictError('stale', this.version);
    const known = new Set(this.list.map((a) => a.id));
    const ids = new Set<number>();
    const out = list.map((a) => {
      if (a.id !== null && (!known.has(a.id) || ids.has(a.id))) throw new Error(`annotation ${a.id} does not belong to the item`);
      if (a.id !== null) ids.add(a.id);
      return { ...a, id: a.id ?? this.nextId++ } as ApiAnnotation;
    });
    this.list = out.sort((a, b) => a.id - b.id);
    this.version += 1;
    if (this.loseAnswer) {
      this.loseAnswer = false;
      throw Object.assign(new Error('network down'), { status: 0 });
    }
    return { version: this.version, annotations: this.list };
  };
  load = async (): Promise<SavedState> => ({ version: this.version, annotations: this.list });
  /** Someone else's save: `edit` changes a copy of the list. */
  other(edit: (list: ApiAnnotation[]) => ApiAnnotation[]): void {
    this.list = edit(this.list.map((a) => ({ ...a })));
    this.version += 1;
  }
}

/** An editor on a 640x480 item holding `list`, saving to a fresh FakeServer, with hand-run timers (`options`:
 * autosave and retry delays, and another schema than `schema`). */
export function editorOn(
  list: ApiAnnotation[],
  standing: Standing = 'annotator',
  options: { autosaveDelay?: number; retryDelay?: number; schema?: LabelSchema } = {},
) {
  const server = new FakeServer(list);
  const timers = new FakeTimers();
  const { schema: own, ...delays } = options;
  const core = new EditorCore({
    item: { id: 7, projectId: 1, width: 640, height: 480, mediaUrl: '/m', version: server.version },
    schema: own ?? schema,
    annotations: list,
    standing,
    save: server.save,
    load: server.load,
    ...delays,
    timers,
  });
  return { core, server, timers };
}
