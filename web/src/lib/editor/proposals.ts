/** Model proposals: which annotations are open proposals, and the list edits that accept or reject them. */

import type { Ann, AnnotationState } from './types';

export function isProposal(a: Ann): boolean {
  return a.source === 'model' && a.state === 'proposed';
}

export function isRejected(a: Ann): boolean {
  return a.state === 'rejected';
}

/**
 * Set one annotation's state. Accepting keeps `source: model` (and the model version and score); the server
 * records who decided. Returns the same list when nothing changes.
 */
export function setState(list: readonly Ann[], key: string, state: AnnotationState): readonly Ann[] {
  const i = list.findIndex((a) => a.key === key);
  if (i < 0 || list[i]!.state === state) return list;
  const out = list.slice();
  out[i] = { ...list[i]!, state };
  return out;
}

/** A proposal made the person's own label: human, accepted, unscored; the model version stays as its origin. */
export function ownLabel(list: readonly Ann[], key: string): readonly Ann[] {
  return list.map((a) => (a.key === key ? { ...a, source: 'human' as const, state: 'accepted' as const, score: null } : a));
}

/** The open class (whole-item) proposal with the highest score, or null. */
export function topClassProposal(list: readonly Ann[]): Ann | null {
  let best: Ann | null = null;
  for (const a of list)
    if (a.kind === 'class' && isProposal(a) && (best === null || (a.score ?? -1) > (best.score ?? -1))) best = a;
  return best;
}

/** Open proposals with a score at or above `threshold` (proposals without a score never qualify). */
export function proposalsAbove(list: readonly Ann[], threshold: number): Ann[] {
  return list.filter((a) => isProposal(a) && a.score !== null && a.score >= threshold);
}

/**
 * Open proposals without a score: the masks "fill between slices" interpolates, or any model that gives none. A
 * score threshold says nothing about them, so the panel offers to accept them all instead.
 */
export function unscoredProposals(list: readonly Ann[]): Ann[] {
  return list.filter((a) => isProposal(a) && a.score === null);
}

/** How many open proposals have a score (the threshold applies) and how many have none. */
export function scoredCounts(list: readonly Ann[]): { scored: number; unscored: number } {
  let scored = 0;
  let unscored = 0;
  for (const a of list) if (isProposal(a)) a.score === null ? (unscored += 1) : (scored += 1);
  return { scored, unscored };
}

/** Accept every open proposal that `pick` chooses; returns the new list and how many were accepted. */
function acceptWhere(list: readonly Ann[], pick: (a: Ann) => boolean): { list: readonly Ann[]; count: number } {
  let count = 0;
  const out = list.map((a) => {
    if (isProposal(a) && pick(a)) {
      count += 1;
      return { ...a, state: 'accepted' as const };
    }
    return a;
  });
  return { list: count ? out : list, count };
}

/** Accept every open proposal scoring at least `threshold`; returns the new list and how many were accepted. */
export function acceptAllAbove(list: readonly Ann[], threshold: number): { list: readonly Ann[]; count: number } {
  return acceptWhere(list, (a) => a.score !== null && a.score >= threshold);
}

/** Accept every open proposal without a score; returns the new list and how many were accepted. */
export function acceptAllUnscored(list: readonly Ann[]): { list: readonly Ann[]; count: number } {
  return acceptWhere(list, (a) => a.score === null);
}

/**
 * The proposal to review after `afterKey`: shape proposals ordered by score (highest first, then list order),
 * the one following `afterKey` in that order, wrapping around; the first when `afterKey` is not one of them.
 * Whole-image tag proposals are left out: they are decided in the tag bar, and have nothing to show on the image.
 */
export function nextProposal(list: readonly Ann[], afterKey: string | null, step: 1 | -1 = 1): string | null {
  const props = list
    .map((a, i) => ({ a, i }))
    .filter(({ a }) => isProposal(a) && a.kind !== 'class')
    .sort((x, y) => (y.a.score ?? -1) - (x.a.score ?? -1) || x.i - y.i);
  if (props.length === 0) return null;
  const at = afterKey === null ? -1 : props.findIndex(({ a }) => a.key === afterKey);
  if (at < 0) return props[step === 1 ? 0 : props.length - 1]!.a.key;
  return props[(at + step + props.length) % props.length]!.a.key;
}

export function proposalCounts(list: readonly Ann[]): { proposed: number; accepted: number; rejected: number } {
  let proposed = 0;
  let accepted = 0;
  let rejected = 0;
  for (const a of list) {
    if (a.source !== 'model') continue;
    if (a.state === 'proposed') proposed += 1;
    else if (a.state === 'accepted') accepted += 1;
    else rejected += 1;
  }
  return { proposed, accepted, rejected };
}
