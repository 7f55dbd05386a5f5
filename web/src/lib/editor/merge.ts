/**
 * The three-way merge behind the conflict panel's "Merge": the copy this editor last loaded or saved (the base),
 * this editor's list (mine) and the server's current list (theirs), matched per annotation by server id. Pure
 * and generic over the annotation type, so the rules are tested on their own (`merge.test.ts`).
 *
 * Rules, per server id:
 * - changed on one side only: that side's version; changed on both sides the same way: theirs (the same content);
 * - deleted on one side and untouched on the other: deleted;
 * - changed on both sides differently, or deleted on one side and changed on the other: a conflict, settled by
 *   a choice of mine or theirs per annotation (`applyMerge`);
 * - added on either side: kept. Annotations this editor made and never saved have no id (their local key is a
 *   temporary one), so they are always "added by me". One exception: an annotation I added that has the very
 *   same content as one they added (a tag, a span, or my own earlier save whose answer never arrived) is the same
 *   annotation, kept once, as theirs (with its id).
 *
 * The result lists their annotations in their order, then mine that they do not hold in my order.
 */

/** One side's annotation: its server id (null: never saved), its comparable content (`contentKey`) and itself. */
export interface Version<T> {
  id: number | null;
  content: string;
  value: T;
}

export type Side = 'mine' | 'theirs';

/**
 * - `both-changed`: both sides changed it, differently;
 * - `mine-deleted`: I deleted it, they changed it;
 * - `theirs-deleted`: they deleted it, I changed it.
 */
export type ConflictKind = 'both-changed' | 'mine-deleted' | 'theirs-deleted';

export interface MergeConflict<T> {
  id: number;
  kind: ConflictKind;
  /** My version; null when I deleted it. */
  mine: T | null;
  /** Their version; null when they deleted it. */
  theirs: T | null;
}

export interface MergeStats {
  /** Annotations where my change is kept (changed by me only, added by me). */
  mine: number;
  /** Annotations where their change is kept (changed by them only, added by them, or changed alike). */
  theirs: number;
  /** Deleted on one side, untouched on the other: gone. */
  deleted: number;
  /** Added on both sides with the same content: kept once. */
  same: number;
  unchanged: number;
  conflicts: number;
}

type Slot<T> = { value: T } | { conflict: MergeConflict<T> };

export interface MergePlan<T> {
  readonly slots: readonly Slot<T>[];
  readonly conflicts: readonly MergeConflict<T>[];
  readonly stats: MergeStats;
  /** Additions of mine that matched one of theirs with the same content (kept once, as theirs). */
  readonly matched: readonly { mine: T; theirs: T }[];
}

export interface MergeInput<T> {
  /** The base as the server stored it: id and content. What tells whether *they* changed an annotation. */
  base: ReadonlyMap<number, string>;
  /**
   * The base as this editor holds it, when that may differ from the server's copy (the server normalises
   * geometry): what tells whether *I* changed an annotation. Ids missing here fall back to `base`.
   */
  mineBase?: ReadonlyMap<number, string>;
  mine: readonly Version<T>[];
  theirs: readonly Version<T>[];
}

/** Work out the merge: what is settled, and the conflicts that need a choice. */
export function planMerge<T>({ base, mineBase, mine, theirs }: MergeInput<T>): MergePlan<T> {
  const stats: MergeStats = { mine: 0, theirs: 0, deleted: 0, same: 0, unchanged: 0, conflicts: 0 };
  const slots: Slot<T>[] = [];
  const conflicts: MergeConflict<T>[] = [];
  const matched: { mine: T; theirs: T }[] = [];
  const conflict = (c: MergeConflict<T>): void => {
    conflicts.push(c);
    slots.push({ conflict: c });
    stats.conflicts += 1;
  };

  const mineById = new Map<number, Version<T>>();
  for (const m of mine) if (m.id !== null && !mineById.has(m.id)) mineById.set(m.id, m);
  const myBase = (id: number): string | undefined => mineBase?.get(id) ?? base.get(id);

  const theirIds = new Set<number>();
  for (const t of theirs) if (t.id !== null) theirIds.add(t.id);

  // My additions (never saved, or an id neither the base nor theirs holds), by content, to recognise the same
  // addition on their side.
  const myAdds = new Map<string, Version<T>[]>();
  for (const m of mine) {
    if (m.id !== null && (base.has(m.id) || theirIds.has(m.id))) continue;
    const list = myAdds.get(m.content) ?? [];
    list.push(m);
    myAdds.set(m.content, list);
  }
  const used = new Set<Version<T>>();

  for (const t of theirs) {
    const b = t.id === null ? undefined : base.get(t.id);
    const m = t.id === null ? undefined : mineById.get(t.id);
    if (m) used.add(m);
    if (b === undefined) {
      // Not in the base: they added it (or both sides hold an id the base never had).
      if (m && m.content !== t.content) conflict({ id: t.id!, kind: 'both-changed', mine: m.value, theirs: t.value });
      else {
        const twin = m ? undefined : myAdds.get(t.content)?.find((x) => !used.has(x));
        if (twin) {
          used.add(twin);
          matched.push({ mine: twin.value, theirs: t.value });
          stats.same += 1;
        } else if (m) stats.unchanged += 1;
        else stats.theirs += 1;
        slots.push({ value: t.value });
      }
      continue;
    }
    const theyChanged = t.content !== b;
    if (!m) {
      // I deleted it.
      if (theyChanged) conflict({ id: t.id!, kind: 'mine-deleted', mine: null, theirs: t.value });
      else stats.deleted += 1;
      continue;
    }
    const iChanged = m.content !== myBase(t.id!);
    if (!iChanged) {
      slots.push({ value: t.value });
      if (theyChanged) stats.theirs += 1;
      else stats.unchanged += 1;
    } else if (!theyChanged) {
      slots.push({ value: m.value });
      stats.mine += 1;
    } else if (m.content === t.content) {
      slots.push({ value: t.value });
      stats.theirs += 1;
    } else conflict({ id: t.id!, kind: 'both-changed', mine: m.value, theirs: t.value });
  }

  for (const m of mine) {
    if (used.has(m)) continue;
    used.add(m);
    if (m.id !== null && base.has(m.id) && !theirIds.has(m.id)) {
      // They deleted it.
      if (m.content !== myBase(m.id)) conflict({ id: m.id, kind: 'theirs-deleted', mine: m.value, theirs: null });
      else stats.deleted += 1;
      continue;
    }
    // Added by me: never saved (a temporary key), or an id neither the base nor theirs holds.
    slots.push({ value: m.value });
    stats.mine += 1;
  }
  return { slots, conflicts, stats, matched };
}

/** How a conflict is settled: a side, or undefined when it has no choice yet. */
export type Chooser<T> = (c: MergeConflict<T>) => Side | undefined;

export interface MergeOutcome<T> {
  /** The merged list; null when some conflict has no choice. */
  list: T[] | null;
  /** Conflicts without a choice. */
  open: number;
}

/** The merged list, with every conflict settled by `choose` (mine or theirs; a deleted side drops it). */
export function applyMerge<T>(plan: MergePlan<T>, choose: Chooser<T>): MergeOutcome<T> {
  const list: T[] = [];
  let open = 0;
  for (const s of plan.slots) {
    if ('value' in s) {
      list.push(s.value);
      continue;
    }
    const side = choose(s.conflict);
    if (side === undefined) open += 1;
    const v = side === 'mine' ? s.conflict.mine : side === 'theirs' ? s.conflict.theirs : null;
    if (v !== null) list.push(v);
  }
  return { list: open ? null : list, open };
}

/** Choices by annotation id, with a side for the conflicts that have none (or none: they stay open). */
export function byId<T>(choices: ReadonlyMap<number, Side>, fallback?: Side): Chooser<T> {
  return (c) => choices.get(c.id) ?? fallback;
}

/** `planMerge` then `applyMerge`: the usual one-step merge for a list whose conflicts all have a side. */
export function merge<T>(input: MergeInput<T>, choose: Chooser<T>): MergeOutcome<T> & { plan: MergePlan<T> } {
  const plan = planMerge(input);
  return { ...applyMerge(plan, choose), plan };
}
