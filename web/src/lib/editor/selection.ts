/**
 * The editor's selection: a set of annotation keys and its primary, the one last picked. Single-shape UI (the
 * handles, the arrow keys, the Selection section's details) reads the primary; delete, relabel and the attribute
 * panel act on the whole set. A `Set`, so asking whether a shape is selected costs the same for 1 or 1,000.
 * The primary is in the set whenever it is not null. Selecting is no undo step (neither is it in CVAT).
 */

export class Selection {
  private primaryKey: string | null = null;
  private set = new Set<string>();

  /** The primary key (the last picked), or null when nothing is selected. */
  get primary(): string | null {
    return this.primaryKey;
  }

  /** Every selected key, in the order picked. */
  get keys(): ReadonlySet<string> {
    return this.set;
  }

  get size(): number {
    return this.set.size;
  }

  has(key: string): boolean {
    return this.set.has(key);
  }

  /** Select `key` alone (null: nothing). */
  only(key: string | null): void {
    this.primaryKey = key;
    this.set = key === null ? new Set() : new Set([key]);
  }

  /** Select `keys`, with `primary` as the primary (null, or not among `keys`: the last of them). */
  replace(keys: Iterable<string>, primary: string | null = null): void {
    const set = new Set(keys);
    if (primary !== null && set.has(primary)) {
      // The primary is the last picked: keep it last in the order.
      set.delete(primary);
      set.add(primary);
    }
    this.set = set;
    this.primaryKey = primary !== null && set.has(primary) ? primary : lastOf(set);
  }

  /** Shift/Ctrl+click: add `key` as the primary, or take it out when it is in (the primary passes to the last
   * picked of those left). Returns whether `key` is selected now. */
  toggle(key: string): boolean {
    if (this.set.has(key)) {
      const set = new Set(this.set);
      set.delete(key);
      this.replace(set, this.primaryKey === key ? null : this.primaryKey);
      return false;
    }
    this.replace([...this.set, key], key);
    return true;
  }

  /** Add `keys` (the rubber band): the primary stays; with none, the last added becomes it. */
  add(keys: Iterable<string>): void {
    this.replace([...this.set, ...keys], this.primaryKey);
  }

  /** Keep only the keys `keep` accepts; returns whether any went. */
  retain(keep: (key: string) => boolean): boolean {
    const left = [...this.set].filter(keep);
    if (left.length === this.set.size) return false;
    this.replace(left, this.primaryKey);
    return true;
  }

  /** Rename keys by `map` (a merge gave annotations the server's keys). */
  rekey(map: ReadonlyMap<string, string>): void {
    if (this.set.size === 0) return;
    const primary = this.primaryKey === null ? null : (map.get(this.primaryKey) ?? this.primaryKey);
    this.replace(
      [...this.set].map((k) => map.get(k) ?? k),
      primary,
    );
  }
}

function lastOf(set: ReadonlySet<string>): string | null {
  let last: string | null = null;
  for (const k of set) last = k;
  return last;
}
