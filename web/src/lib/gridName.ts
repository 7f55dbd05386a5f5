/**
 * An item"s name in a grid cell, cut in the middle rather than at the end: the head shrinks behind an ellipsis,
 * the tail (the file"s own name, at most TAIL characters) always shows, so "imagesTr/hippocampus_001.nii.gz" and
 * "imagesTr/hippocampus_017.nii.gz" stay apart in a narrow cell ("imagesTr/hip…ampus_017.nii.gz").
 */

export const TAIL = 16;

/** The name split into the head that may be cut and the tail that always shows ("" head for a short name). */
export function nameParts(name: string, tail = TAIL): { head: string; tail: string } {
  const chars = Array.from(name); // whole characters, not UTF-16 halves
  if (chars.length <= tail) return { head: "", tail: name };
  const slash = Math.max(name.lastIndexOf("/"), name.lastIndexOf("\\"));
  const base = Array.from(name.slice(slash + 1)).length;
  const keep = Math.max(1, Math.min(tail, base || tail));
  return { head: chars.slice(0, -keep).join(""), tail: chars.slice(-keep).join("") };
}
