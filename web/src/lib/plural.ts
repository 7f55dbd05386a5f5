/** Counts in words: "1 shape", "2 shapes", "1,204 items". */

/** The word for `n` of a thing: `one` for exactly 1, else `many` (default: `one` + "s"). */
export function plural(n: number, one: string, many = `${one}s`): string {
  return n === 1 ? one : many;
}

/** `n` and the word for it, with thousands separators: `count(1, "shape")` is "1 shape". */
export function count(n: number, one: string, many = `${one}s`): string {
  return `${n.toLocaleString('en-US')} ${plural(n, one, many)}`;
}
