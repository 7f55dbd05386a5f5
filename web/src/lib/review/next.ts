// "Next" in the review queue asks the server (`GET .../review/next`) instead of paging the list here: it hands out
// the labelled item after the one on screen (wrapping to the start) that no other reviewer holds, and claims it for
// me, so two reviewers working through the queue are sent different items (before, both walked the same sequence
// and every decision after the first was a 409). Previous still walks the list (lib/review/queue).

import { navigate } from "../router.svelte";
import { notify, reportError } from "../toasts.svelte";
import { reviewNext } from "./api";
import { itemPath } from "./queue";

/** Asks the server for the next item to review after an item (null: from the list's start). */
export type ReviewNextFetcher = (projectId: number, after: number | null) => Promise<number | null>;

/** Where "next" leads: the item handed out, or the queue page when none is left. */
export function reviewNextPath(projectId: number, next: number | null): string {
  return next !== null ? itemPath(projectId, next, "review") : `/projects/${projectId}/review`;
}

/** What is said when no item is left to hand out (`fromList`: "Start reviewing" on the queue page). */
export function nothingLeftText(fromList: boolean): [string, string] {
  return fromList
    ? ["Nothing to review right now", "Other reviewers are deciding the labelled items left."]
    : ["No other item to review", "Other reviewers hold the labelled items left, or none is left."];
}

/**
 * Opens the next item to review after `itemId` (null: from the queue page), or back to the queue page when none is
 * left (the queue page stays where it is). Nothing happens when the user left the page meanwhile: that would skip
 * an item.
 */
export async function nextInReview(
  projectId: number,
  itemId: number | null,
  page: { readonly gone: boolean },
  fetchNext: ReviewNextFetcher = reviewNext,
): Promise<void> {
  let next: number | null;
  try {
    next = await fetchNext(projectId, itemId);
  } catch (err) {
    if (!page.gone) reportError(err, "Could not find the next item to review");
    return;
  }
  if (page.gone) return;
  if (next === null) {
    const [title, detail] = nothingLeftText(itemId === null);
    notify("info", title, detail);
    if (itemId === null) return;
  }
  navigate(reviewNextPath(projectId, next));
}

/** The queue page's note on the items other reviewers are deciding now ("" when none). */
export function heldNote(count: number): string {
  if (count === 0) return "";
  return `${count.toLocaleString("en-US")} being reviewed by others right now`;
}
