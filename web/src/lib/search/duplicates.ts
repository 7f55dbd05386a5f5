// How far the duplicates page's near groups can be trusted. Real near copies (a re-encoded, resized, cropped or
// flipped file) come a few per original and are a small part of a project; an embedder that cannot tell alike
// items from copies (a small image encoder trained on the project, at a threshold too low for it) groups many
// unrelated items instead, and one of them leads a group of a dozen: deleting "the others" would lose originals.

/** What the figures read of a group: its kind and how many items it has. */
export interface GroupShape {
  kind: string;
  items: readonly unknown[];
}

/** More near copies of one item than this is unusual: the group may hold alike items rather than copies. */
export const HANDFUL = 5;

export interface DupHealth {
  nearGroups: number;
  /** Items in near groups (the kept ones too). */
  nearItems: number;
  /** The size of the largest near group. */
  largest: number;
  /** True when the near groups look like alike items rather than copies. */
  unreliable: boolean;
}

/** Whether a group is larger than copies of one item usually are. */
export function isLarge(g: GroupShape): boolean {
  return g.kind === "near" && g.items.length > HANDFUL;
}

/** The near groups' figures, and whether they look unreliable: a group of more than a handful, or near groups
 * holding more than a third of the project's items (at least 10 of them). */
export function dupHealth(groups: readonly GroupShape[], itemsTotal: number): DupHealth {
  const near = groups.filter((g) => g.kind === "near");
  const nearItems = near.reduce((n, g) => n + g.items.length, 0);
  const largest = near.reduce((n, g) => Math.max(n, g.items.length), 0);
  const unreliable = largest > HANDFUL || nearItems > Math.max(10, itemsTotal / 3);
  return { nearGroups: near.length, nearItems, largest, unreliable };
}
