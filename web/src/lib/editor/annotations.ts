/** Converting between the API's annotations and the editor's, and comparing lists (for the conflict panel). */

import type { Ann, AnnotationInput, AnnotationKind, ApiAnnotation, Geometry } from './types';

let counter = 0;

/** A new local key; keys of stored annotations are `s<id>` so they stay the same across reloads of a list. */
export function newKey(): string {
  counter += 1;
  return `n${counter.toString(36)}`;
}

/** A new annotation made by a person (accepted, like a drawn box or a selected span), with `attributes` (the
 * defaults of its label's attributes, `defaultsFor`). */
export function newAnnotation(
  kind: AnnotationKind,
  geometry: Geometry,
  label: string | null,
  attributes: Record<string, unknown> = {},
): Ann {
  return {
    key: newKey(),
    kind,
    label,
    geometry,
    frame: null,
    track_id: null,
    source: 'human',
    model_version: null,
    score: null,
    state: 'accepted',
    attributes,
  };
}

export function serverKey(id: number): string {
  return `s${id}`;
}

/** Editor annotation from an API one (the id goes into the editor's key-to-id map, see `Doc`). */
export function fromApi(a: ApiAnnotation, key: string = serverKey(a.id)): Ann {
  return {
    key,
    kind: a.kind,
    label: a.label,
    geometry: a.geometry ?? {},
    frame: a.frame ?? null,
    track_id: a.track_id ?? null,
    source: a.source,
    model_version: a.model_version ?? null,
    score: a.score ?? null,
    state: a.state,
    attributes: a.attributes ?? {},
  };
}

export function toInput(a: Ann, id: number | null): AnnotationInput {
  return {
    id,
    kind: a.kind,
    label: a.label,
    geometry: a.geometry,
    frame: a.frame,
    track_id: a.track_id,
    source: a.source,
    model_version: a.model_version,
    score: a.score,
    state: a.state,
    attributes: a.attributes,
  };
}

/** A string that is equal for two annotations exactly when a save would not change one into the other. */
export function contentKey(a: Omit<Ann, 'key'> | ApiAnnotation): string {
  return JSON.stringify([
    a.kind,
    a.label,
    canonical(a.geometry),
    a.frame ?? null,
    a.track_id ?? null,
    a.source,
    a.source === 'model' ? (a.model_version ?? null) : null,
    a.score ?? null,
    a.state,
    canonical(a.attributes ?? {}),
  ]);
}

function canonical(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(canonical);
  if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return Object.keys(o)
      .sort()
      .map((k) => [k, canonical(o[k])]);
  }
  return v;
}

export interface ListDiff {
  /** In `to` but not in `from` (new annotations, or ids `from` does not have). */
  added: number;
  /** In `from` but not in `to`. */
  removed: number;
  /** In both with different content. */
  changed: number;
  unchanged: number;
}

export interface Keyed {
  id: number | null;
  content: string;
}

/** Compare two lists by server id; entries without an id are always "added". */
export function diffLists(from: readonly Keyed[], to: readonly Keyed[]): ListDiff {
  const before = new Map<number, string>();
  for (const a of from) if (a.id !== null) before.set(a.id, a.content);
  const out: ListDiff = { added: 0, removed: 0, changed: 0, unchanged: 0 };
  const seen = new Set<number>();
  for (const a of to) {
    const old = a.id === null ? undefined : before.get(a.id);
    if (old === undefined) out.added += 1;
    else {
      seen.add(a.id!);
      if (old === a.content) out.unchanged += 1;
      else out.changed += 1;
    }
  }
  out.removed = before.size - seen.size;
  return out;
}

export function keyedApi(list: readonly ApiAnnotation[]): Keyed[] {
  return list.map((a) => ({ id: a.id, content: contentKey(a) }));
}

export function keyedAnns(list: readonly Ann[], idOf: (key: string) => number | null): Keyed[] {
  return list.map((a) => ({ id: idOf(a.key), content: contentKey(a) }));
}

/**
 * After a save: which server id each newly created annotation got. The server inserts new annotations in the
 * order they were sent, with increasing ids, and returns the list in id order; so the ids the response holds
 * that the request did not, sorted, pair with the sent new annotations in order. When the counts disagree
 * (someone else's save slipped in, which the version check forbids) the contents decide instead.
 */
export function assignNewIds(
  sent: readonly { key: string; id: number | null; content: string }[],
  returned: readonly ApiAnnotation[],
): Map<string, number> {
  const sentIds = new Set<number>();
  for (const s of sent) if (s.id !== null) sentIds.add(s.id);
  const fresh = returned.filter((a) => !sentIds.has(a.id)).sort((a, b) => a.id - b.id);
  const newOnes = sent.filter((s) => s.id === null);
  const out = new Map<string, number>();
  if (fresh.length === newOnes.length) {
    newOnes.forEach((s, i) => out.set(s.key, fresh[i]!.id));
    return out;
  }
  const byContent = new Map<string, number[]>();
  for (const a of fresh) {
    const c = contentKey(a);
    const ids = byContent.get(c) ?? [];
    ids.push(a.id);
    byContent.set(c, ids);
  }
  for (const s of newOnes) {
    const id = byContent.get(s.content)?.shift();
    if (id !== undefined) out.set(s.key, id);
  }
  return out;
}

const contents = new WeakMap<Ann, string>();

/** `contentKey` of an editor annotation, remembered per (immutable) object. */
export function contentOf(a: Ann): string {
  let c = contents.get(a);
  if (c === undefined) {
    c = contentKey(a);
    contents.set(a, c);
  }
  return c;
}

/** Compare two editor lists by local key: added, removed, changed (by content) and unchanged annotations. */
export function diffByKey(from: readonly Ann[], to: readonly Ann[]): ListDiff {
  const before = new Map<string, Ann>();
  for (const a of from) before.set(a.key, a);
  const out: ListDiff = { added: 0, removed: 0, changed: 0, unchanged: 0 };
  let seen = 0;
  for (const a of to) {
    const old = before.get(a.key);
    if (!old) out.added += 1;
    else {
      seen += 1;
      if (old === a || contentOf(old) === contentOf(a)) out.unchanged += 1;
      else out.changed += 1;
    }
  }
  out.removed = before.size - seen;
  return out;
}

/** Whether two editor lists hold the same annotations (keys and contents) in the same order. */
export function sameList(a: readonly Ann[], b: readonly Ann[]): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  return a.every((x, i) => {
    const y = b[i]!;
    return x === y || (x.key === y.key && contentOf(x) === contentOf(y));
  });
}
